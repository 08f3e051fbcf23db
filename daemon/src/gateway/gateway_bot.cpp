#include "gateway/gateway_bot.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "json_reader.hpp"

namespace megane::daemon {

namespace {

const Node* member(const Node& table, std::string_view key) {
  const Member* m = table.find(key);
  return m ? &m->value : nullptr;
}

// A non-negative integer field that fits in 32 bits, or an error naming it.
bool read_u32(const Node& table, std::string_view key, std::string_view path, std::uint32_t& out, std::string& error) {
  const Node* v = member(table, key);
  if (!v || v->kind != NodeKind::integer || v->integer < 0 || v->integer > UINT32_MAX) {
    error = fmt::format("/gateway/bot: {} is {}", path, v ? "not a non-negative 32-bit integer" : "missing");
    return false;
  }
  out = static_cast<std::uint32_t>(v->integer);
  return true;
}

}  // namespace

std::variant<GatewayBotInfo, std::string> parse_gateway_bot(std::string_view body) {
  TreeResult tree = read_json(body);
  if (auto* e = std::get_if<TreeError>(&tree)) {
    return fmt::format("/gateway/bot: not JSON ({} at {}:{})", e->message, e->pos.line, e->pos.column);
  }
  const Node& root = std::get<Node>(tree);
  if (root.kind != NodeKind::table) return std::string("/gateway/bot: the answer is not a JSON object");
  GatewayBotInfo info;
  std::string error;
  if (const Node* url = member(root, "url"); url && url->kind == NodeKind::string) info.url = url->text;
  if (!read_u32(root, "shards", "shards", info.shards, error)) return error;
  const Node* limit = member(root, "session_start_limit");
  if (!limit || limit->kind != NodeKind::table) return std::string("/gateway/bot: session_start_limit is missing");
  std::uint32_t reset_ms = 0;
  if (!read_u32(*limit, "total", "session_start_limit.total", info.session_total, error) ||
      !read_u32(*limit, "remaining", "session_start_limit.remaining", info.session_remaining, error) ||
      !read_u32(*limit, "reset_after", "session_start_limit.reset_after", reset_ms, error)) {
    return error;
  }
  info.reset_after = std::chrono::milliseconds(reset_ms);
  // Older answers had no max_concurrency: 1 is what every bot gets by default.
  if (member(*limit, "max_concurrency") &&
      !read_u32(*limit, "max_concurrency", "session_start_limit.max_concurrency", info.max_concurrency, error)) {
    return error;
  }
  info.max_concurrency = std::max<std::uint32_t>(info.max_concurrency, 1);
  info.shards = std::max<std::uint32_t>(info.shards, 1);
  return info;
}

std::uint32_t plan_shard_count(ShardMode mode, std::uint32_t configured, std::uint32_t recommended,
                               std::uint32_t guilds_per_shard) {
  if (mode == ShardMode::fixed) return configured;
  const std::uint64_t per = std::max<std::uint32_t>(guilds_per_shard, 1);
  std::uint64_t n = (static_cast<std::uint64_t>(std::max<std::uint32_t>(recommended, 1)) * 1000 + per - 1) / per;
  n = std::max<std::uint64_t>(n, 1);
  if (mode == ShardMode::automatic_lbs) n = (n + 15) / 16 * 16;
  // The protocol's limit; with auto-lbs the largest multiple of 16 below it.
  const std::uint64_t cap = mode == ShardMode::automatic_lbs ? 65520 : 65535;
  return static_cast<std::uint32_t>(std::min(n, cap));
}

}  // namespace megane::daemon
