#include "meganectl/commands.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "meganectl/control_client.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/status.hpp"
#include "meganectl/status_table.hpp"

namespace megane::ctl {
namespace {

using proto::MessageType;

Clock::time_point deadline_of(const CommonOptions& options) { return Clock::now() + options.timeout; }

std::string_view text_of(const proto::Bytes& payload) {
  return {reinterpret_cast<const char*>(payload.data()), payload.size()};
}

// The exit code for a failed call. 75 is meganectl's own deadline only: whatever the daemon
// reports as a failure (even its own timeout, e.g. ready_timeout) is 1.
int exit_code_of(const CallResult& r) {
  switch (r.status) {
    case CallStatus::ok: return exit_code::ok;
    case CallStatus::unreachable:
    case CallStatus::protocol_error: return exit_code::unavailable;
    case CallStatus::timeout: return exit_code::timed_out;
    case CallStatus::rejected: return exit_code::failed;
  }
  return exit_code::failed;
}

// "cluster 2: <message>", unless the daemon's message already says "cluster 2: ...".
std::string about(std::string_view subject, const std::string& message) {
  if (message.starts_with(subject)) return message;
  return fmt::format("{}: {}", subject, message);
}

int report(const CallResult& r, std::string_view what, const CommonOptions& options) {
  if (r.status == CallStatus::timeout) {
    fmt::print(stderr, "meganectl: {} (waited {} ms, see --timeout)\n", about(what, r.error.message),
               options.timeout.count());
  } else {
    fmt::print(stderr, "meganectl: {}\n", about(what, r.error.message));
  }
  return exit_code_of(r);
}

// Connects and handshakes; on failure prints why and returns the exit code.
std::optional<int> connect(ControlClient& client, const CommonOptions& options) {
  const CallResult r = client.connect(options.socket, deadline_of(options));
  if (r.ok()) return std::nullopt;
  // A refused handshake (uid not allowed, version mismatch) also means "cannot use the daemon".
  if (r.status == CallStatus::rejected) {
    fmt::print(stderr, "meganectl: meganed refused the connection: {}\n", r.error.message);
    return exit_code::unavailable;
  }
  if (r.status == CallStatus::timeout) {
    fmt::print(stderr, "meganectl: {} (waited {} ms, see --timeout)\n", r.error.message,
               options.timeout.count());
    return exit_code::timed_out;
  }
  fmt::print(stderr, "meganectl: {}\n", r.error.message);
  return exit_code::unavailable;
}

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

int status_command(const CommonOptions& options, bool json) {
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
  fmt::print("{}", format_status(std::get<Status>(status)));
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

int restart_all_command(const CommonOptions& options) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  auto status = fetch_status(client, options);
  if (const int* failed = std::get_if<int>(&status)) return *failed;
  std::vector<std::uint32_t> ids;
  for (const ClusterStatus& c : std::get<Status>(status).clusters) ids.push_back(c.id);
  std::sort(ids.begin(), ids.end());
  if (ids.empty()) {
    fmt::print("no clusters to restart\n");
    return exit_code::ok;
  }

  // One at a time, each back to ready before the next: the bot never loses more than one
  // cluster, and the identify budget is spent at the pace the daemon allows.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    fmt::print("[{}/{}] cluster {}: restarting... ", i + 1, ids.size(), ids[i]);
    std::fflush(stdout);
    const Clock::time_point started = Clock::now();
    auto outcome = restart(client, ids[i], /*wait=*/true, started + options.timeout);
    if (const auto* failed = std::get_if<CallResult>(&outcome)) {
      fmt::print("failed\n");
      std::fflush(stdout);
      report(*failed, fmt::format("cluster {}", ids[i]), options);
      if (i + 1 < ids.size()) {
        fmt::print(stderr, "meganectl: stopped; clusters after {} were not restarted\n", ids[i]);
      }
      return exit_code_of(*failed);
    }
    const std::chrono::duration<double> took = Clock::now() - started;
    fmt::print("{} ({:.1f} s)\n", std::get<RestartReply>(outcome).state, took.count());
    std::fflush(stdout);
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
