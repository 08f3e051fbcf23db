// The gateway part of the config schema: [gateway] (token source, Discord URLs, IDENTIFY
// settings, the identify authority's knobs) and sharding.shards = N | "auto" | "auto-lbs".
// Kept apart from config_schema.cpp, which calls these with its TreeChecker.
#pragma once

#include "config.hpp"
#include "config_tree.hpp"

namespace megane::daemon {

// sharding.shards and sharding.guilds_per_shard into `out`; returns the fixed count when the
// value is a number (for the clusters <= shards check), else nullopt.
std::optional<std::int64_t> read_shard_count(TreeChecker& check, const Node& sharding, ShardingConfig& out);

// [gateway] into config.gateway (left nullopt when the section is absent). Checks the token
// file's presence and permissions but never reads it: the token is read at start
// (gateway/token.hpp), so `--check` and meganectl never hold it.
void read_gateway_section(TreeChecker& check, const Node& root, Config& config);

// "auto" and "auto-lbs" need /gateway/bot, hence [gateway]: an error at the shards value.
void check_auto_shards_need_gateway(TreeChecker& check, const Node& root, const Config& config);

}  // namespace megane::daemon
