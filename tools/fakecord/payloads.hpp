// Gateway payloads other than the population's objects: the envelope {"t","s","op","d"} in the
// key order Discord sends, HELLO, ACK, op 7/9, READY and RESUMED.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fakecord/population.hpp"

namespace fakecord {

enum class Op : std::uint8_t {
  dispatch = 0,
  heartbeat = 1,
  identify = 2,
  presence_update = 3,
  voice_state_update = 4,
  resume = 6,
  reconnect = 7,
  request_guild_members = 8,
  invalid_session = 9,
  hello = 10,
  heartbeat_ack = 11,
  request_soundboard_sounds = 31,
};

std::string hello_payload(std::uint32_t heartbeat_interval_ms);
std::string heartbeat_ack_payload();
std::string heartbeat_request_payload();
std::string reconnect_payload();
std::string invalid_session_payload(bool resumable);

// {"t":"NAME","s":SEQ,"op":0,"d":  — the caller appends d and the closing brace.
void append_dispatch_head(std::string& out, std::string_view event, std::uint64_t seq);
std::string dispatch_payload(std::string_view event, std::uint64_t seq, std::string_view d_json);

struct ReadyInfo {
  std::string session_id;
  std::string resume_gateway_url;
  std::uint32_t shard_id = 0;
  std::uint32_t num_shards = 1;
  std::uint32_t application_flags = 0;
};
// The application flags Discord sets for the enabled privileged intents (the *_LIMITED ones, as
// for a bot in fewer than 100 guilds).
std::uint32_t application_flags_for(std::uint32_t enabled_privileged_intents);
// READY's d: v, user, guilds (unavailable stubs of this shard), session_id, resume_gateway_url,
// shard, application.
std::string ready_d(const Population& pop, const ReadyInfo& info);
std::string resumed_d();

}  // namespace fakecord
