#include "meganectl/commands.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <megane/proto/command_messages.hpp>

#include "meganectl/control_client.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/report.hpp"
#include "meganectl/stats_table.hpp"
#include "meganectl/status.hpp"
#include "meganectl/status_table.hpp"

namespace megane::ctl {
namespace {

using proto::MessageType;

std::variant<Status, int> fetch_status(ControlClient& client, const CommonOptions& options) {
  const CallResult r = client.request(MessageType::status, {}, deadline_of(options));
  if (!r.ok()) return report(r, "status", options);
  auto parsed = parse_status(text_of(r.payload));
  if (auto* error = std::get_if<std::string>(&parsed)) {
    fmt::print(stderr, "meganectl: {}\n", *error);
    return exit_code::failed;
  }
  return std::get<Status>(std::move(parsed));
}

// Restarts one cluster; on success returns its reply, else prints nothing and hands back the
// failed call for the caller to word.
std::variant<RestartReply, CallResult> restart(ControlClient& client, std::uint32_t id, bool wait,
                                               Clock::time_point deadline) {
  const CallResult r = client.request(MessageType::restart_cluster,
                                      proto::encode(proto::RestartCluster{id, wait}), deadline);
  if (!r.ok()) return r;
  auto parsed = parse_restart_reply(text_of(r.payload));
  if (auto* error = std::get_if<std::string>(&parsed)) {
    CallResult bad;
    bad.status = CallStatus::protocol_error;
    bad.error.message = *error;
    return bad;
  }
  return std::get<RestartReply>(std::move(parsed));
}

// The reply to restart_cluster has no pid (yet): ask status for it, best effort.
std::optional<std::int64_t> pid_of(ControlClient& client, const RestartReply& reply) {
  if (reply.pid) return reply.pid;
  const CallResult r =
      client.request(MessageType::status, {}, Clock::now() + std::chrono::seconds(2));
  if (!r.ok()) return std::nullopt;
  auto parsed = parse_status(text_of(r.payload));
  const Status* status = std::get_if<Status>(&parsed);
  if (status == nullptr) return std::nullopt;
  for (const ClusterStatus& c : status->clusters) {
    if (c.id == reply.id && c.pid > 0) return c.pid;
  }
  return std::nullopt;
}

}  // namespace

int status_command(const CommonOptions& options, bool json, bool shards) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  if (json) {
    const CallResult r = client.request(MessageType::status, {}, deadline_of(options));
    if (!r.ok()) return report(r, "status", options);
    const std::string_view text = text_of(r.payload);
    fmt::print("{}{}", text, text.ends_with('\n') ? "" : "\n");
    return exit_code::ok;
  }
  auto status = fetch_status(client, options);
  if (const int* failed = std::get_if<int>(&status)) return *failed;
  const Status& st = std::get<Status>(status);
  fmt::print("{}", shards ? format_shards(st) : format_status(st));
  return exit_code::ok;
}

int stats_command(const CommonOptions& options, bool json) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const CallResult r = client.request(MessageType::stats, {}, deadline_of(options));
  if (!r.ok()) return report(r, "stats", options);
  const std::string_view text = text_of(r.payload);
  if (json) {
    fmt::print("{}{}", text, text.ends_with('\n') ? "" : "\n");
    return exit_code::ok;
  }
  std::string error;
  const auto table = format_stats(text, error);
  if (!table) {
    fmt::print(stderr, "meganectl: {}\n", error);
    return exit_code::failed;
  }
  fmt::print("{}", *table);
  return exit_code::ok;
}

int restart_command(const CommonOptions& options, std::uint32_t cluster_id, bool wait_ready) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  auto outcome = restart(client, cluster_id, wait_ready, deadline_of(options));
  if (const auto* failed = std::get_if<CallResult>(&outcome)) {
    return report(*failed, fmt::format("cluster {}", cluster_id), options);
  }
  const RestartReply& reply = std::get<RestartReply>(outcome);
  const std::string state = reply.state.empty() ? std::string(wait_ready ? "ready" : "restarting") : reply.state;
  if (!wait_ready) {
    fmt::print("cluster {}: {}\n", cluster_id, state);
    return exit_code::ok;
  }
  if (const auto pid = pid_of(client, reply)) {
    fmt::print("cluster {}: {} (pid {})\n", cluster_id, state, *pid);
  } else {
    fmt::print("cluster {}: {}\n", cluster_id, state);
  }
  return exit_code::ok;
}

int restart_service_command(const CommonOptions& options, const std::string& service, bool wait_ready) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const std::string what = fmt::format("service {}", service);
  const CallResult r = client.request(MessageType::restart_service,
                                      proto::encode(proto::RestartService{service, wait_ready}),
                                      deadline_of(options));
  if (!r.ok()) return report(r, what, options);
  auto parsed = parse_service_restart_reply(text_of(r.payload));
  if (const auto* error = std::get_if<std::string>(&parsed)) {
    fmt::print(stderr, "meganectl: {}: {}\n", what, *error);
    return exit_code::failed;
  }
  const ServiceRestartReply& reply = std::get<ServiceRestartReply>(parsed);
  const std::string state =
      reply.state.empty() ? std::string(wait_ready ? "ready" : "restarting") : reply.state;
  if (wait_ready && reply.pid && *reply.pid > 0) {
    fmt::print("{}: {} (pid {})\n", what, state, *reply.pid);
  } else {
    fmt::print("{}: {}\n", what, state);
  }
  return exit_code::ok;
}

int shutdown_command(const CommonOptions& options) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const CallResult r = client.request(MessageType::shutdown, {}, deadline_of(options));
  if (!r.ok()) return report(r, "shutdown", options);
  fmt::print("meganed is shutting down\n");
  return exit_code::ok;
}

}  // namespace megane::ctl
