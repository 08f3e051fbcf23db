#include "config_gateway.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "gateway/base_url.hpp"
#include "json_writer.hpp"

namespace megane::daemon {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 12> gateway_keys{
    "token_file",      "token_env", "gateway_url",     "api_url",         "intents",          "large_threshold",
    "presence",        "max_concurrency", "identify_window", "identify_reserve", "ca_file", "shard_silence_timeout"};

constexpr std::array<std::string_view, 2> presence_keys{"status", "activity"};
constexpr std::array<std::string_view, 2> activity_keys{"name", "type"};
constexpr std::array<std::string_view, 5> presence_statuses{"online", "dnd", "idle", "invisible", "offline"};

// Intent bits Discord defines (API v10): 0-16, 20, 21, 24, 25. An undefined bit closes the
// gateway with 4013; refusing it here says which bit at the config line instead.
constexpr std::uint64_t defined_intents = ((1ull << 17) - 1) | (1ull << 20) | (1ull << 21) | (1ull << 24) | (1ull << 25);

bool valid_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string octal_mode(mode_t mode) { return fmt::format("{:04o}", static_cast<unsigned>(mode & 07777)); }

// The token file must exist, be a regular file and be private to its owner: a token readable
// by other users is a leaked token. Only stat()ed here, never opened.
void check_token_file(TreeChecker& check, const Node& v, const fs::path& path) {
  struct stat st {};
  const std::string shown = quote(path.string(), 4096);
  if (::stat(path.c_str(), &st) != 0) {
    check.error(v.pos, "gateway.token_file", fmt::format("cannot use token file {}: {}", shown, std::strerror(errno)));
  } else if (!S_ISREG(st.st_mode)) {
    check.error(v.pos, "gateway.token_file", fmt::format("token file {} is not a regular file", shown));
  } else if ((st.st_mode & 077) != 0) {
    check.error(v.pos, "gateway.token_file",
                fmt::format("token file {} is accessible by group or others (mode {}); a bot token must be "
                            "private: chmod 600 it",
                            shown, octal_mode(st.st_mode)));
  }
}

std::optional<std::string> url_key(TreeChecker& check, const Node& table, std::string_view name,
                                   std::initializer_list<std::string_view> schemes) {
  const Node* v = TreeChecker::get(table, name);
  if (!v) return std::nullopt;
  const std::string key = join_key("gateway", name);
  auto text = check.string(*v, key);
  if (!text) return std::nullopt;
  const auto url = parse_url(*text);
  const bool scheme_ok = url && std::find(schemes.begin(), schemes.end(), url->scheme) != schemes.end();
  if (!scheme_ok) {
    std::string wanted;
    for (auto s : schemes) wanted += (wanted.empty() ? "" : " or ") + std::string(s) + "://";
    check.error(v->pos, key, fmt::format("expected a URL starting with {} and a host, got {}", wanted, describe(*v)));
    return std::nullopt;
  }
  // Routes are appended to the base: a trailing '/' would double it.
  while (text->size() > 1 && text->back() == '/') text->pop_back();
  return text;
}

// presence = { status = "online", activity = { name = "...", type = 0 } } -> IDENTIFY's
// presence object: {"since":null,"activities":[...],"status":"...","afk":false}.
std::optional<std::string> presence_json(TreeChecker& check, const Node& v) {
  if (v.kind != NodeKind::table) {
    check.type_error(v, "gateway.presence", "a table such as { status = \"online\" }");
    return std::nullopt;
  }
  check.check_keys(v, "gateway.presence", presence_keys);
  std::string status = "online";
  if (const Node* s = TreeChecker::get(v, "status")) {
    const bool known = s->kind == NodeKind::string &&
                       std::find(presence_statuses.begin(), presence_statuses.end(), s->text) != presence_statuses.end();
    if (!known) {
      check.error(s->pos, "gateway.presence.status",
                  "expected one of \"online\", \"dnd\", \"idle\", \"invisible\", \"offline\", got " + describe(*s));
      return std::nullopt;
    }
    status = s->text;
  }
  JsonWriter w;
  w.begin_object();
  w.key("since").null();
  w.key("activities").begin_array();
  if (const Node* a = TreeChecker::get(v, "activity")) {
    if (a->kind != NodeKind::table) {
      check.type_error(*a, "gateway.presence.activity", "a table such as { name = \"with shards\", type = 0 }");
      return std::nullopt;
    }
    check.check_keys(*a, "gateway.presence.activity", activity_keys);
    std::optional<std::string> name;
    if (const Node* n = TreeChecker::get(*a, "name")) {
      name = check.string(*n, "gateway.presence.activity.name");
      if (name && (name->empty() || name->size() > 128)) {
        check.error(n->pos, "gateway.presence.activity.name", "expected 1 to 128 characters");
        return std::nullopt;
      }
    } else {
      check.missing(a->pos, "gateway.presence.activity", "missing required key \"name\"");
    }
    std::int64_t type = 0;
    if (const Node* t = TreeChecker::get(*a, "type")) {
      auto n = check.integer(*t, "gateway.presence.activity.type", 0, 5,
                             "an activity type from 0 to 5 (0 playing, 1 streaming, 2 listening, 3 watching, "
                             "4 custom, 5 competing)");
      if (!n) return std::nullopt;
      type = *n;
    }
    if (!name) return std::nullopt;
    w.begin_object();
    // A custom status (4) shows its text in `state`; Discord wants a fixed name for it.
    if (type == 4) w.field("name", "Custom Status").field("state", *name);
    else w.field("name", *name);
    w.field("type", type).end_object();
  }
  w.end_array();
  w.field("status", status).field("afk", false).end_object();
  return w.take();
}

template <class T>
std::optional<T> bounded(TreeChecker& check, const Node& table, std::string_view name, std::int64_t lo, std::int64_t hi) {
  const Node* v = TreeChecker::get(table, name);
  if (!v) return std::nullopt;
  auto n = check.integer(*v, join_key("gateway", name), lo, hi);
  if (!n) return std::nullopt;
  return static_cast<T>(*n);
}

}  // namespace

std::optional<std::int64_t> read_shard_count(TreeChecker& check, const Node& sharding, ShardingConfig& out) {
  std::optional<std::int64_t> fixed;
  if (const Node* v = TreeChecker::get(sharding, "shards")) {
    if (v->kind == NodeKind::string && (v->text == "auto" || v->text == "auto-lbs")) {
      out.mode = v->text == "auto" ? ShardMode::automatic : ShardMode::automatic_lbs;
    } else if (v->kind == NodeKind::string) {
      check.error(v->pos, "sharding.shards",
                  fmt::format("expected an integer from 1 to 65535, got {} (\"auto\" and \"auto-lbs\" are the only "
                              "strings allowed)",
                              describe(*v)));
    } else {
      fixed = check.integer(*v, "sharding.shards", 1, 65535);
      if (fixed) out.shards = static_cast<std::uint32_t>(*fixed);
    }
  } else {
    check.missing(sharding.pos, "sharding", "missing required key \"shards\"");
  }
  if (const Node* v = TreeChecker::get(sharding, "guilds_per_shard")) {
    if (auto n = check.integer(*v, "sharding.guilds_per_shard", 1, 2500)) {
      out.guilds_per_shard = static_cast<std::uint32_t>(*n);
      if (out.mode == ShardMode::fixed && fixed) {
        check.error(v->pos, "sharding.guilds_per_shard",
                    "only used with shards = \"auto\" or \"auto-lbs\"; remove it or set shards to \"auto\"");
      }
    }
  }
  return fixed;
}

void read_gateway_section(TreeChecker& check, const Node& root, Config& config) {
  const Node* table = check.section(root, "gateway", "");
  if (!table) return;
  check.check_keys(*table, "gateway", gateway_keys);
  GatewayConfig& out = config.gateway.emplace();
  const Node* file = TreeChecker::get(*table, "token_file");
  if (file) {
    if (auto path = check.resolved_path(*file, "gateway.token_file")) {
      check_token_file(check, *file, *path);
      out.token_file = std::move(*path);
      out.token_file_line = file->pos.line;
      out.token_file_column = file->pos.column;
    }
  }
  if (const Node* v = TreeChecker::get(*table, "token_env")) {
    if (auto name = check.string(*v, "gateway.token_env")) {
      if (!valid_env_name(*name)) {
        check.error(v->pos, "gateway.token_env",
                    fmt::format("{} is not a valid environment variable name", quote(*name)));
      } else if (name->starts_with("MEGANE_")) {
        check.error(v->pos, "gateway.token_env", "names starting with MEGANE_ are reserved: meganed sets them itself");
      } else if (file) {
        check.error(v->pos, "gateway.token_env", "set token_file or token_env, not both");
      } else {
        out.token_env = std::move(*name);
      }
    }
  }
  if (auto url = url_key(check, *table, "gateway_url", {"ws", "wss"})) out.gateway_url = std::move(*url);
  if (auto url = url_key(check, *table, "api_url", {"http", "https"})) out.api_url = std::move(*url);
  if (const Node* v = TreeChecker::get(*table, "intents")) {
    if (auto n = check.integer(*v, "gateway.intents", 0, (1ll << 26) - 1, "an intents bit set (an integer >= 0)")) {
      const auto undefined = static_cast<std::uint64_t>(*n) & ~defined_intents;
      if (undefined != 0) {
        check.error(v->pos, "gateway.intents",
                    fmt::format("bit {} (value {}) is not an intent Discord defines (bits 0-16, 20, 21, 24, 25)",
                                std::countr_zero(undefined), 1ull << std::countr_zero(undefined)));
      } else {
        out.intents = static_cast<std::uint64_t>(*n);
      }
    }
  }
  if (auto n = bounded<std::uint32_t>(check, *table, "large_threshold", 50, 250)) out.large_threshold = *n;
  if (const Node* v = TreeChecker::get(*table, "presence")) {
    if (auto json = presence_json(check, *v)) out.presence_json = std::move(*json);
  }
  out.max_concurrency = bounded<std::uint32_t>(check, *table, "max_concurrency", 1, 65535);
  if (const Node* v = TreeChecker::get(*table, "identify_window")) {
    if (auto d = check.duration(*v, "gateway.identify_window", false)) out.identify_window = *d;
  }
  out.identify_reserve = bounded<std::uint32_t>(check, *table, "identify_reserve", 0, 1'000'000);
  if (const Node* v = TreeChecker::get(*table, "shard_silence_timeout")) {
    // 0 turns the check off; anything else below a second would recycle healthy quiet shards.
    if (auto d = check.duration(*v, "gateway.shard_silence_timeout", true)) {
      if (d->count() != 0 && *d < std::chrono::seconds(1)) {
        check.error(v->pos, "gateway.shard_silence_timeout",
                    fmt::format("expected 0 (off) or at least 1s, got {}ms", d->count()));
      } else {
        out.shard_silence_timeout = *d;
      }
    }
  }
  if (const Node* v = TreeChecker::get(*table, "ca_file")) {
    if (auto path = check.resolved_path(*v, "gateway.ca_file")) {
      struct stat st {};
      if (::stat(path->c_str(), &st) != 0) {
        check.error(v->pos, "gateway.ca_file",
                    fmt::format("cannot use CA file {}: {}", quote(path->string(), 4096), std::strerror(errno)));
      } else if (!S_ISREG(st.st_mode)) {
        check.error(v->pos, "gateway.ca_file", fmt::format("CA file {} is not a regular file", quote(path->string(), 4096)));
      } else {
        out.ca_file = std::move(*path);
      }
    }
  }
}

void check_auto_shards_need_gateway(TreeChecker& check, const Node& root, const Config& config) {
  if (config.sharding.mode == ShardMode::fixed || config.gateway) return;
  const Node* sharding = TreeChecker::get(root, "sharding");
  const Node* v = sharding && sharding->kind == NodeKind::table ? TreeChecker::get(*sharding, "shards") : nullptr;
  if (!v) return;
  check.error(v->pos, "sharding.shards",
              fmt::format("shards = {} asks Discord (GET /gateway/bot) for the count, which needs a [gateway] "
                          "section with the bot's token",
                          quote(v->text)));
}

}  // namespace megane::daemon
