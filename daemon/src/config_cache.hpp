// The [cache] section: what every cluster's cache keeps, and cache_all_members. Kept apart
// from config_schema.cpp, which calls it with its TreeChecker.
#pragma once

#include "config.hpp"
#include "config_tree.hpp"

namespace megane::daemon {

// GUILD_MEMBERS: without it Discord ignores member requests (op 8), so cache_all_members
// would wait forever.
inline constexpr std::uint64_t guild_members_intent = 1u << 1;

// [cache] into config.cache (nullopt when the section is absent, or holds only snapshot keys)
// and config.cache_snapshots (always; the default directory sits next to the store's log, so
// [store] must be read first). Reads [gateway] already in config.gateway to check that
// cache_all_members has the intent it needs.
void read_cache_section(TreeChecker& check, const Node& root, Config& config);

}  // namespace megane::daemon
