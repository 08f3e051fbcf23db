// The Daemon's operator actions: restarting a cluster or a service, rolling restarts of every
// cluster, and reloading the config (meganectl restart / reload, SIGHUP).
#include "daemon.hpp"

#include <fmt/format.h>
#include <megane/proto/messages.hpp>
#include <spdlog/spdlog.h>

#include "log_level.hpp"

namespace megane::daemon {

using proto::ErrorCode;
using proto::MessageType;

void Daemon::handle_restart(Connection& conn, const proto::FrameView& frame) {
  proto::RestartCluster req;
  if (!proto::decode(frame.payload, req)) {
    conn.reply_error(frame.header.request_id, ErrorCode::malformed, "malformed restart_cluster");
    return;
  }
  Child* child = supervisor_->cluster(req.cluster_id);
  if (!child) {
    conn.reply_error(frame.header.request_id, ErrorCode::not_found,
                     fmt::format("no cluster {} (this bot has {})", req.cluster_id, supervisor_->cluster_count()));
    return;
  }
  restart_child(conn, frame.header.request_id, MessageType::restart_cluster, *child, req.wait_ready);
}

void Daemon::handle_restart_service(Connection& conn, const proto::FrameView& frame) {
  proto::RestartService req;
  if (!proto::decode(frame.payload, req)) {
    conn.reply_error(frame.header.request_id, ErrorCode::malformed, "malformed restart_service");
    return;
  }
  Child* child = supervisor_->service(req.service);
  if (!child) {
    conn.reply_error(frame.header.request_id, ErrorCode::not_found, fmt::format("no service '{}'", req.service));
    return;
  }
  restart_child(conn, frame.header.request_id, MessageType::restart_service, *child, req.wait_ready);
}

void Daemon::restart_child(Connection& conn, std::uint32_t request_id, MessageType reply_type, Child& child,
                           bool wait_ready) {
  if (shutting_down_) {
    conn.reply_error(request_id, ErrorCode::busy, "meganed is stopping");
    return;
  }
  auto answer = [weak = conn.weak_from_this(), request_id, reply_type, &child](bool ok, const std::string& why) {
    auto c = weak.lock();
    if (!c || !c->open()) return;
    if (!ok) {
      c->reply_error(request_id, ErrorCode::internal, fmt::format("{}: {}", child.label, why));
      return;
    }
    JsonWriter w;
    w.begin_object();
    if (child.kind == ChildKind::cluster) w.field("id", child.plan.id);
    else w.field("service", child.service->name);
    w.field("state", to_string(child.state)).field("pid", static_cast<std::int64_t>(child.pid)).end_object();
    const std::string json = w.take();
    c->reply(reply_type, request_id, {reinterpret_cast<const std::uint8_t*>(json.data()), json.size()});
  };
  if (wait_ready) {
    supervisor_->restart(child, answer);
  } else {
    supervisor_->restart(child, nullptr);
    answer(true, {});
  }
}

void Daemon::handle_rolling_restart(Connection& conn, const proto::FrameView& frame) {
  const std::uint32_t request_id = frame.header.request_id;
  proto::RollingRestart req;
  if (!proto::decode(frame.payload, req)) {
    conn.reply_error(request_id, ErrorCode::malformed, "malformed rolling_restart");
    return;
  }
  if (shutting_down_) {
    conn.reply_error(request_id, ErrorCode::busy, "meganed is stopping");
    return;
  }
  if (rolling_->running()) {
    conn.reply_error(request_id, ErrorCode::busy,
                     fmt::format("a rolling restart is already running: {}", rolling_->describe()));
    return;
  }
  const auto timeout = req.cluster_timeout_ms == 0 ? std::chrono::milliseconds(120'000)
                                                    : std::chrono::milliseconds(req.cluster_timeout_ms);
  const std::string origin = fmt::format("uid {} (pid {})", conn.peer().uid, conn.peer().pid);
  // The requester may go away (an ssh session drops): the run goes on, the answer is dropped.
  rolling_->start(timeout, origin, [weak = conn.weak_from_this(), request_id](const RollingRestart::Outcome& out) {
    auto c = weak.lock();
    if (!c || !c->open()) return;
    if (!out.ok) {
      c->reply_error(request_id, out.code, out.message);
      return;
    }
    c->reply(MessageType::rolling_restart, request_id,
             {reinterpret_cast<const std::uint8_t*>(out.json.data()), out.json.size()});
  });
}

void Daemon::handle_reload(Connection& conn, const proto::FrameView& frame) {
  const std::uint32_t request_id = frame.header.request_id;
  if (shutting_down_) {
    conn.reply_error(request_id, ErrorCode::busy, "meganed is stopping");
    return;
  }
  auto result = reload(fmt::format("requested by uid {} (pid {})", conn.peer().uid, conn.peer().pid));
  if (const auto* error = std::get_if<ConfigError>(&result)) {
    conn.reply_error(request_id, ErrorCode::invalid_config, error->to_string());
    return;
  }
  const std::string json = std::get<ReloadReport>(result).json(config_.source);
  conn.reply(MessageType::reload, request_id, {reinterpret_cast<const std::uint8_t*>(json.data()), json.size()});
}

std::variant<ReloadReport, ConfigError> Daemon::reload(std::string_view origin) {
  auto loaded = load_config(config_.source);
  if (auto* error = std::get_if<ConfigError>(&loaded)) {
    log_->error("reload ({}): {}; still running the previous config", origin, error->to_string());
    return std::move(*error);
  }
  ReloadReport report = merge_reloadable(config_, std::get<Config>(loaded));
  apply_reloaded();
  if (report.needs_restart.empty()) {
    log_->info("reload ({}) of {}: {}", origin, config_.source.string(), report.summary());
  } else {
    log_->warn("reload ({}) of {}: {}", origin, config_.source.string(), report.summary());
  }
  events_.publish(proto::EventKind::config_reloaded, report.json(config_.source, "config_reloaded"));
  return report;
}

IpcServerOptions Daemon::server_options() const {
  IpcServerOptions opts;
  opts.socket = config_.ipc.socket;
  opts.allowed_uids = config_.ipc.allowed_uids;
  opts.max_frame_bytes = config_.ipc.max_frame_bytes;
  opts.handshake_timeout = config_.ipc.handshake_timeout;
  opts.max_output_bytes = config_.ipc.max_output_bytes;
  opts.max_connections_per_uid = config_.ipc.max_connections_per_uid;
  return opts;
}

void Daemon::apply_reloaded() {
  // Supervision (timeouts, backoff, crash limits), [stats] and [metrics] unhealthy_after are
  // read from config_ where they are used; these parts keep copies and are told.
  spdlog::set_level(to_spdlog(config_.log_level));
  stats_->reschedule();
  router_->set_default_timeout(config_.ipc.request_timeout);
  spin_.set_ceiling(std::chrono::microseconds(config_.ipc.busy_poll_us));
  server_->update_limits(server_options());  // keeps the socket it listens on
  apply_notifications(config_.notifications);
  cache_reports_->set_section(config_.cache);
}

}  // namespace megane::daemon
