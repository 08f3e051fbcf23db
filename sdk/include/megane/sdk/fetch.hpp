// Fetching guilds, channels and users from the caches of other clusters (through meganed).
// A guild is asked of the cluster that owns it; a channel or a user of every cluster, and the
// first that has it answers. Results are Discord-shaped JSON (what the cache keeps, see
// docs/sdk.md#cache), so a bot can rebuild its own objects from them. Expected failures (not
// found, the owner restarting, a timeout) are values here, never exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <megane/sdk/commands.hpp>
#include <megane/sdk/json_text.hpp>

namespace megane {

// Clusters answer from memory: a fetch that takes longer than this is stuck somewhere.
inline constexpr std::chrono::milliseconds default_fetch_timeout{5'000};

// What one fetched id came back as.
struct FetchReply {
  std::uint64_t id = 0;
  // ok: `data` holds the entity. not_found: every cluster asked answered and none has it.
  // Anything else: no cluster has it so far but one could not answer: unavailable (not
  // running: starting, restarting, quarantined), target_exited, timeout, disconnected (this
  // process is stopping), failed (meganed refused the request: `message` says why).
  CommandStatus status = CommandStatus::not_found;
  JsonText data;
  std::string message;          // not ok: what went wrong, for people
  std::uint32_t cluster_id = 0;  // ok: the cluster whose cache answered

  bool ok() const noexcept { return status == CommandStatus::ok; }
};

}  // namespace megane
