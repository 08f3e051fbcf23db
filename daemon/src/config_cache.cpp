#include "config_cache.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace megane::daemon {
namespace {

constexpr std::array<std::string_view, 5> cache_keys{"enabled", "channels", "roles", "members", "cache_all_members"};
constexpr std::array<std::string_view, 3> member_policies{"all", "own", "none"};

std::optional<bool> boolean(TreeChecker& check, const Node& v, const std::string& key) {
  if (v.kind == NodeKind::boolean) return v.boolean;
  check.type_error(v, key, "true or false");
  return std::nullopt;
}

}  // namespace

void read_cache_section(TreeChecker& check, const Node& root, Config& config) {
  const Node* table = check.section(root, "cache", "");
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
  config.cache = out;
}

}  // namespace megane::daemon
