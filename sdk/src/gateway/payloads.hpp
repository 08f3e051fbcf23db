// The payloads a shard sends, as JSON text. Built by hand: they are few and small, and the
// token must never pass through a general-purpose logger or formatter by accident.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace megane::gateway {

struct IdentifyFields {
  std::string_view token;
  std::uint32_t shard_id = 0;
  std::uint32_t total_shards = 1;
  std::uint64_t intents = 0;
  std::uint32_t large_threshold = 50;
  std::string_view presence_json;  // "" = none; else a JSON object
};

std::string identify_payload(const IdentifyFields& f);
std::string resume_payload(std::string_view token, std::string_view session_id, std::uint64_t seq);
// `seq`: the last sequence number received, or none before the first dispatch (d = null).
std::string heartbeat_payload(std::optional<std::uint64_t> seq);

}  // namespace megane::gateway
