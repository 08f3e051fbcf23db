// What Discord's GET /gateway/bot says, and the pure decisions taken from it: the shard count
// for shards = "auto" / "auto-lbs" and the identify concurrency.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "config.hpp"

namespace megane::daemon {

struct GatewayBotInfo {
  std::string url;                          // the gateway URL Discord suggests (logged only)
  std::uint32_t shards = 1;                 // recommended, for 1000 guilds per shard
  std::uint32_t session_total = 0;          // session_start_limit.total
  std::uint32_t session_remaining = 0;      // session_start_limit.remaining
  std::chrono::milliseconds reset_after{0}; // session_start_limit.reset_after
  std::uint32_t max_concurrency = 1;        // session_start_limit.max_concurrency
};

// Parses the JSON body; the error names the missing or malformed field.
std::variant<GatewayBotInfo, std::string> parse_gateway_bot(std::string_view body);

// auto: ceil(recommended * 1000 / guilds_per_shard), at least 1; auto-lbs rounds that up to a
// multiple of 16 (large bot sharding). Capped at 65535. fixed: `configured`.
std::uint32_t plan_shard_count(ShardMode mode, std::uint32_t configured, std::uint32_t recommended,
                               std::uint32_t guilds_per_shard);

}  // namespace megane::daemon
