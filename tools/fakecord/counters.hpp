// What GET /stats reports. Plain counters; POST /reset zeroes them.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace fakecord {

struct Counters {
  std::uint64_t identifies = 0;
  std::map<std::uint32_t, std::uint64_t> identifies_per_shard;
  std::map<std::uint32_t, std::vector<std::uint64_t>> identify_ms_per_bucket;  // ms since start
  std::uint64_t resumes = 0;
  std::map<std::uint32_t, std::uint64_t> resumes_per_shard;
  std::uint64_t resumes_failed = 0;
  std::uint64_t op9_sent = 0;
  std::uint64_t too_early_identifies = 0;
  std::uint64_t budget_exhausted_identifies = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t events_dispatched = 0;  // appended to sessions (READY, GUILD_CREATE, bursts, ...)
  std::uint64_t events_sent = 0;        // dispatch payloads written to connections, replays included
  std::uint64_t replayed = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t heartbeat_acks = 0;
  std::uint64_t heartbeat_requests = 0;
  std::uint64_t heartbeat_requests_answered = 0;
  std::map<std::uint16_t, std::uint64_t> closes_sent;  // close code -> count
  std::map<std::uint16_t, std::uint64_t> client_closes;
  std::uint64_t drops = 0;
  std::uint64_t messages_posted = 0;
  std::uint64_t rate_limited_responses = 0;
  std::uint64_t rest_requests = 0;
  std::uint64_t bursts_started = 0;
};

}  // namespace fakecord
