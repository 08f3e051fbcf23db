#include "config_cache.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace megane::daemon {
namespace {

constexpr std::array<std::string_view, 8> cache_keys{"enabled", "channels",  "roles",        "members",
                                                    "cache_all_members", "snapshots", "snapshot_dir", "snapshot_max_bytes"};
constexpr std::array<std::string_view, 3> snapshot_keys{"snapshots", "snapshot_dir", "snapshot_max_bytes"};
constexpr std::array<std::string_view, 3> member_policies{"all", "own", "none"};

std::optional<bool> boolean(TreeChecker& check, const Node& v, const std::string& key) {
  if (v.kind == NodeKind::boolean) return v.boolean;
  check.type_error(v, key, "true or false");
  return std::nullopt;
}

// The snapshot keys of [cache]; true when the section has nothing but those.
bool read_snapshot_keys(TreeChecker& check, const Node* table, Config& config) {
  CacheSnapshotConfig& out = config.cache_snapshots;
  if (!config.store.path.empty()) out.dir = config.store.path.parent_path() / (config.name + ".cache");
  if (!table) return false;
  if (const Node* v = TreeChecker::get(*table, "snapshots")) {
    if (auto b = boolean(check, *v, "cache.snapshots")) out.enabled = *b;
  }
  if (const Node* v = TreeChecker::get(*table, "snapshot_dir")) {
    if (auto path = check.resolved_path(*v, "cache.snapshot_dir")) out.dir = std::move(*path);
  }
  if (const Node* v = TreeChecker::get(*table, "snapshot_max_bytes")) {
    if (auto n = check.integer(*v, "cache.snapshot_max_bytes", 1 << 20, std::int64_t{1} << 40)) {
      out.max_bytes = static_cast<std::uint64_t>(*n);
    }
  }
  std::size_t keys = 0, snapshot_only = 0;
  for (const auto& m : table->members) {
    ++keys;
    if (std::find(snapshot_keys.begin(), snapshot_keys.end(), m.key) != snapshot_keys.end()) ++snapshot_only;
  }
  return keys > 0 && keys == snapshot_only;
}

}  // namespace

void read_cache_section(TreeChecker& check, const Node& root, Config& config) {
  const Node* table = check.section(root, "cache", "");
  const bool only_snapshot_keys = read_snapshot_keys(check, table, config);
  if (!table) return;
  check.check_keys(*table, "cache", cache_keys);
  CacheSection out;
  struct Flag {
    std::string_view name;
    bool CacheSection::*field;
  };
  for (const Flag f : {Flag{"enabled", &CacheSection::enabled}, Flag{"channels", &CacheSection::channels},
                       Flag{"roles", &CacheSection::roles}, Flag{"cache_all_members", &CacheSection::cache_all_members}}) {
    if (const Node* v = TreeChecker::get(*table, f.name)) {
      if (auto b = boolean(check, *v, join_key("cache", f.name))) out.*f.field = *b;
    }
  }
  if (const Node* v = TreeChecker::get(*table, "members")) {
    const auto found = v->kind == NodeKind::string
                           ? std::find(member_policies.begin(), member_policies.end(), v->text)
                           : member_policies.end();
    if (found == member_policies.end()) {
      std::string message = "expected one of \"all\", \"own\", \"none\", got " + describe(*v);
      if (v->kind == NodeKind::string) {
        if (auto close = suggest(v->text, member_policies)) message += fmt::format(" (did you mean \"{}\"?)", *close);
      }
      check.error(v->pos, "cache.members", message);
      return;
    }
    out.members = static_cast<MemberCachePolicy>(found - member_policies.begin());
  }
  if (const Node* v = TreeChecker::get(*table, "cache_all_members"); v && out.cache_all_members) {
    if (!out.enabled || out.members != MemberCachePolicy::all) {
      check.error(v->pos, "cache.cache_all_members", "needs enabled = true and members = \"all\"");
      return;
    }
    if (config.gateway && (config.gateway->intents & guild_members_intent) == 0) {
      check.error(v->pos, "cache.cache_all_members",
                  fmt::format("needs the GUILD_MEMBERS intent (2) in gateway.intents (now {})", config.gateway->intents));
      return;
    }
  }
  // Only the snapshot keys: the bot's own CacheOptions still apply.
  if (!only_snapshot_keys) config.cache = out;
}

}  // namespace megane::daemon
