#include "fakecord/payloads.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "fakecord/guild_json.hpp"
#include "fakecord/json_out.hpp"

namespace fakecord {

namespace {

// Discord adds a _trace of the servers that handled the connection; clients ignore it.
constexpr std::string_view trace = R"("_trace":["[\"fakecord-gateway\",{\"micros\":0}]"])";

}  // namespace

std::string hello_payload(std::uint32_t heartbeat_interval_ms) {
  return fmt::format(R"({{"t":null,"s":null,"op":10,"d":{{"heartbeat_interval":{},{}}}}})",
                     heartbeat_interval_ms, trace);
}

std::string heartbeat_ack_payload() { return R"({"t":null,"s":null,"op":11,"d":null})"; }
std::string heartbeat_request_payload() { return R"({"t":null,"s":null,"op":1,"d":null})"; }
std::string reconnect_payload() { return R"({"t":null,"s":null,"op":7,"d":null})"; }

std::string invalid_session_payload(bool resumable) {
  return resumable ? R"({"t":null,"s":null,"op":9,"d":true})" : R"({"t":null,"s":null,"op":9,"d":false})";
}

void append_dispatch_head(std::string& out, std::string_view event, std::uint64_t seq) {
  out.append("{\"t\":");
  json::str(out, event);
  out.append(",\"s\":");
  json::num(out, seq);
  out.append(",\"op\":0,\"d\":");
}

std::string dispatch_payload(std::string_view event, std::uint64_t seq, std::string_view d_json) {
  std::string out;
  out.reserve(d_json.size() + event.size() + 40);
  append_dispatch_head(out, event, seq);
  out.append(d_json);
  out.push_back('}');
  return out;
}

std::string ready_d(const Population& pop, const ReadyInfo& info) {
  std::string out;
  out.reserve(256 + pop.guild_count() * 48 / std::max(1u, info.num_shards));
  out.append("{\"v\":10,\"user\":");
  append_user(out, pop.bot_user());
  // READY's user has the account fields too.
  out.pop_back();
  out.append(",\"verified\":true,\"mfa_enabled\":false,\"email\":null,\"flags\":0}");
  out.append(",\"user_settings\":{},\"relationships\":[],\"private_channels\":[],\"presences\":[],"
             "\"guild_join_requests\":[],\"geo_ordered_rtc_regions\":[\"fakecord\"],\"guilds\":[");
  bool first = true;
  for (const std::uint32_t g : pop.guilds_for_shard(info.shard_id, info.num_shards)) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"id\":");
    json::id(out, pop.guild_id(g));
    out.append(",\"unavailable\":true}");
  }
  out.append("],\"session_id\":");
  json::str(out, info.session_id);
  out.append(",\"session_type\":\"normal\",\"resume_gateway_url\":");
  json::str(out, info.resume_gateway_url);
  out.append(",\"shard\":[");
  json::num(out, std::uint64_t{info.shard_id});
  out.push_back(',');
  json::num(out, std::uint64_t{info.num_shards});
  out.append("],\"application\":{\"id\":");
  json::id(out, pop.application_id());
  out.append(",\"flags\":");
  json::num(out, std::uint64_t{info.application_flags});
  out.append("},\"auth\":{},");
  out.append(trace);
  out.push_back('}');
  return out;
}

std::uint32_t application_flags_for(std::uint32_t enabled_privileged_intents) {
  std::uint32_t flags = 0;
  if ((enabled_privileged_intents & (1u << 8)) != 0) flags |= 1u << 13;   // GATEWAY_PRESENCE_LIMITED
  if ((enabled_privileged_intents & (1u << 1)) != 0) flags |= 1u << 15;   // GATEWAY_GUILD_MEMBERS_LIMITED
  if ((enabled_privileged_intents & (1u << 15)) != 0) flags |= 1u << 19;  // GATEWAY_MESSAGE_CONTENT_LIMITED
  return flags;
}

std::string resumed_d() { return fmt::format("{{{}}}", trace); }

}  // namespace fakecord
