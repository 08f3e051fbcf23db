#include "payloads.hpp"

#include <fmt/format.h>

#include <megane/proto/json_string.hpp>

namespace megane::gateway {

using proto::append_json_string;

std::string identify_payload(const IdentifyFields& f) {
  std::string out;
  out.reserve(256 + f.presence_json.size());
  out += R"({"op":2,"d":{"token":)";
  append_json_string(out, f.token);
  out += R"(,"properties":{"os":"linux","browser":"megane","device":"megane"},"compress":false)";
  fmt::format_to(std::back_inserter(out), R"(,"large_threshold":{},"shard":[{},{}],"intents":{})",
                 f.large_threshold, f.shard_id, f.total_shards, f.intents);
  if (!f.presence_json.empty()) {
    out += R"(,"presence":)";
    out += f.presence_json;
  }
  out += "}}";
  return out;
}

std::string resume_payload(std::string_view token, std::string_view session_id, std::uint64_t seq) {
  std::string out = R"({"op":6,"d":{"token":)";
  append_json_string(out, token);
  out += R"(,"session_id":)";
  append_json_string(out, session_id);
  out += R"(,"seq":)";
  out += std::to_string(seq);
  out += "}}";
  return out;
}

std::string heartbeat_payload(std::optional<std::uint64_t> seq) {
  if (!seq) return R"({"op":1,"d":null})";
  return fmt::format(R"({{"op":1,"d":{}}})", *seq);
}

}  // namespace megane::gateway
