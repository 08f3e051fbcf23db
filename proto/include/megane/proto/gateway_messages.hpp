// Payloads of the gateway range (0x06xx): the daemon is the bot's single identify authority and
// keeps every shard's session so a restarted cluster RESUMEs instead of IDENTIFYing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <megane/proto/frame.hpp>

namespace megane::proto {

// A shard's resumable session, as the SDK last reported it.
struct SessionInfo {
  std::uint32_t shard_id = 0;
  std::string session_id;
  std::uint64_t seq = 0;
  std::string resume_gateway_url;
};

// Reply to gateway_config. The token travels only here, over the uid-checked socket.
struct GatewayConfig {
  std::string token;
  std::string gateway_url;      // wss://gateway.discord.gg or a simulator's ws:// URL
  std::string api_url;          // https://discord.com/api/v10 or a simulator's
  std::uint64_t intents = 0;
  std::string presence_json;    // "" = none; else the IDENTIFY presence object
  std::uint32_t total_shards = 0;
  std::uint32_t max_concurrency = 1;
  std::uint32_t large_threshold = 50;
  std::vector<SessionInfo> sessions;  // for this cluster's shards, where one is known
};

struct IdentifyPermitRequest {
  std::uint32_t shard_id = 0;
};

struct IdentifyPermit {
  std::uint32_t shard_id = 0;
  std::uint64_t ticket = 0;
};

struct IdentifyDone {
  std::uint64_t ticket = 0;
  bool sent = true;  // false: the shard did not IDENTIFY after all (the budget gets it back)
};

enum class ShardState : std::uint8_t {
  connecting = 0,
  identifying = 1,   // waiting for or using an identify permit
  resuming = 2,
  ready = 3,
  disconnected = 4,  // will reconnect
  fatal = 5,         // a close code that must not be retried (4004, 4010-4014)
};

struct ShardStatus {
  std::uint32_t shard_id = 0;
  ShardState state = ShardState::connecting;
  std::uint32_t latency_ms = 0;  // last heartbeat round trip; 0 = unknown
  std::uint32_t guilds = 0;
  std::string detail;            // e.g. "closed 4000 (unknown error), resuming"
};

Bytes encode(const SessionInfo& m);
Bytes encode(const GatewayConfig& m);
Bytes encode(const IdentifyPermitRequest& m);
Bytes encode(const IdentifyPermit& m);
Bytes encode(const IdentifyDone& m);
Bytes encode(const ShardStatus& m);

bool decode(ByteView in, SessionInfo& out) noexcept;
bool decode(ByteView in, GatewayConfig& out) noexcept;
bool decode(ByteView in, IdentifyPermitRequest& out) noexcept;
bool decode(ByteView in, IdentifyPermit& out) noexcept;
bool decode(ByteView in, IdentifyDone& out) noexcept;
bool decode(ByteView in, ShardStatus& out) noexcept;

std::string_view to_string(ShardState state) noexcept;

}  // namespace megane::proto
