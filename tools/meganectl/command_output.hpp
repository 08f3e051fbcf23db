// What `meganectl command` prints: a service's answer, or one line (or JSON entry) per
// cluster of a broadcast. Pure, unit-tested; the command itself is send_command.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <megane/proto/command_messages.hpp>

namespace megane::ctl {

// --cluster all|ID. nullopt when `text` is neither.
std::optional<proto::ClusterCommand> parse_cluster_selector(std::string_view text);

// The status as meganectl's JSON spells it: ok, error, timeout, unavailable, exited.
std::string_view target_status_name(proto::TargetStatus status) noexcept;

// One line per cluster, in the daemon's (cluster id) order:
//   cluster 0: ok {"shards":[0,1]}
//   cluster 1: error: asked to fail
//   cluster 2: timed out
std::string format_cluster_results(const proto::BroadcastReply& reply);

// [{"cluster":0,"status":"ok","data":{...}},{"cluster":1,"status":"timeout","error":""}]
// plus a newline. data is embedded raw when it is valid JSON, else as a string.
std::string format_cluster_results_json(const proto::BroadcastReply& reply);

// True when every target answered ok (an empty reply counts as all ok).
bool all_ok(const proto::BroadcastReply& reply) noexcept;

// A service's answer for --json: {"service":"x","status":"ok","data":...} or, for an error,
// {"service":"x","status":"<error code>","error":"message"}; plus a newline.
std::string format_service_json(std::string_view service, std::string_view data);
std::string format_service_error_json(std::string_view service, proto::ErrorCode code,
                                      std::string_view message);

// The error code as meganectl's JSON spells it: not_found, unavailable, timeout,
// target_exited, rejected, ...
std::string_view error_code_name(proto::ErrorCode code) noexcept;

}  // namespace megane::ctl
