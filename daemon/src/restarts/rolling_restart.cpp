#include "restarts/rolling_restart.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "json_writer.hpp"

namespace megane::daemon {

using proto::EventKind;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The fields every rolling_restart_* event starts with.
JsonWriter event_head(EventKind kind) {
  JsonWriter w;
  w.begin_object().field("type", proto::to_string(kind));
  return w;
}

}  // namespace

RollingRestart::RollingRestart(boost::asio::io_context& io, Supervisor& supervisor,
                               std::shared_ptr<spdlog::logger> log)
    : io_(io), supervisor_(supervisor), log_(std::move(log)), timer_(io) {}

RollingRestart::~RollingRestart() = default;

std::string RollingRestart::describe() const {
  if (!run_) return {};
  if (run_->index >= run_->order.size()) {
    return fmt::format("finishing ({} clusters), started {:.0f} s ago by {}", run_->order.size(),
                       seconds_since(run_->started), run_->origin);
  }
  const std::uint32_t cluster = run_->order[run_->index];
  return fmt::format("cluster {} ({} of {}), started {:.0f} s ago by {}", cluster, run_->index + 1,
                     run_->order.size(), seconds_since(run_->started), run_->origin);
}

bool RollingRestart::start(std::chrono::milliseconds cluster_timeout, std::string origin, Done done) {
  if (run_) return false;
  Run run;
  run.id = next_id_++;
  for (std::uint32_t id = 0; id < supervisor_.cluster_count(); ++id) run.order.push_back(id);
  run.started = Clock::now();
  run.cluster_timeout = cluster_timeout;
  run.origin = std::move(origin);
  run.done = std::move(done);
  run_ = std::move(run);

  log_->info("rolling restart of {} clusters requested by {} (each must be ready again within {} ms)",
             run_->order.size(), run_->origin, cluster_timeout.count());
  JsonWriter w = event_head(EventKind::rolling_restart_started);
  w.key("clusters").begin_array();
  for (const std::uint32_t id : run_->order) w.value(id);
  w.end_array().field("total", static_cast<std::uint64_t>(run_->order.size()));
  w.field("cluster_timeout_ms", static_cast<std::int64_t>(cluster_timeout.count())).field("origin", run_->origin);
  emit(EventKind::rolling_restart_started, w.end_object().take());
  // From a fresh handler: the requester's reply and the started event go out before anything
  // the first restart publishes.
  boost::asio::post(io_, [this, id = run_->id] {
    if (run_ && run_->id == id) step();
  });
  return true;
}

void RollingRestart::step() {
  Run& run = *run_;
  if (run.index >= run.order.size()) {
    const double took = seconds_since(run.started);
    log_->info("rolling restart finished: {} clusters restarted in {:.1f} s", run.order.size(), took);
    JsonWriter w = event_head(EventKind::rolling_restart_finished);
    w.field("total", static_cast<std::uint64_t>(run.order.size())).field("seconds", took);
    emit(EventKind::rolling_restart_finished, w.end_object().take());
    JsonWriter reply;
    reply.begin_object().field("clusters", static_cast<std::uint64_t>(run.order.size())).field("seconds", took);
    Outcome outcome{true, reply.end_object().take(), {}, proto::ErrorCode::internal};
    Done done = std::move(run.done);
    run_.reset();
    if (done) done(outcome);
    return;
  }
  const std::uint32_t id = run.order[run.index];
  Child* child = supervisor_.cluster(id);
  if (child == nullptr) {
    fail(fmt::format("cluster {} no longer exists", id), proto::ErrorCode::not_found);
    return;
  }
  run.old_generation = child->generation;
  run.step_started = Clock::now();
  log_->info("rolling restart: cluster {} ({} of {})", id, run.index + 1, run.order.size());
  JsonWriter w = event_head(EventKind::rolling_restart_step);
  w.field("cluster", id).field("index", static_cast<std::uint64_t>(run.index + 1));
  w.field("total", static_cast<std::uint64_t>(run.order.size())).field("phase", "restarting");
  w.field("pid", static_cast<std::int64_t>(child->pid));
  emit(EventKind::rolling_restart_step, w.end_object().take());

  timer_.expires_after(run.cluster_timeout);
  timer_.async_wait([this, run_id = run.id, index = run.index,
                     ms = run.cluster_timeout.count()](const boost::system::error_code& ec) {
    if (ec) return;
    cluster_settled(run_id, index, false, fmt::format("not ready again within {} ms", ms));
  });
  const bool accepted = supervisor_.restart(*child, [this, run_id = run.id, index = run.index](bool ok, const std::string& why) {
    cluster_settled(run_id, index, ok, why);
  });
  if (!accepted) cluster_settled(run.id, run.index, false, "meganed is stopping");
}

void RollingRestart::on_process_exit(const Child& child) {
  if (!run_ || child.kind != ChildKind::cluster) return;
  const Run& run = *run_;
  if (run.index >= run.order.size() || child.plan.id != run.order[run.index]) return;
  // The old process exiting is the restart itself; a newer one exiting before it was ready is
  // the failure: stop here rather than wait through the supervisor's backoff and retries.
  if (child.generation == run.old_generation || child.state == ChildState::ready) return;
  cluster_settled(run.id, run.index, false, fmt::format("exited before it was ready again ({})", child.last_exit));
}

void RollingRestart::cluster_settled(std::uint64_t run_id, std::size_t index, bool ok, const std::string& why) {
  // Waiters and timers of a step that already ended (or of an earlier run) are stale.
  if (!run_ || run_->id != run_id || run_->index != index) return;
  timer_.cancel();
  Run& run = *run_;
  const std::uint32_t id = run.order[index];
  if (!ok) {
    fail(fmt::format("cluster {}: {}", id, why),
         why.starts_with("not ready again") ? proto::ErrorCode::timeout : proto::ErrorCode::target_exited);
    return;
  }
  const Child* child = supervisor_.cluster(id);
  const double took = seconds_since(run.step_started);
  log_->info("rolling restart: cluster {} ready again after {:.1f} s", id, took);
  JsonWriter w = event_head(EventKind::rolling_restart_step);
  w.field("cluster", id).field("index", static_cast<std::uint64_t>(index + 1));
  w.field("total", static_cast<std::uint64_t>(run.order.size())).field("phase", "ready");
  w.field("pid", static_cast<std::int64_t>(child != nullptr ? child->pid : 0)).field("seconds", took);
  emit(EventKind::rolling_restart_step, w.end_object().take());
  ++run.index;
  // A fresh handler: the supervisor is still inside its ready callback.
  boost::asio::post(io_, [this, run_id] {
    if (run_ && run_->id == run_id) step();
  });
}

void RollingRestart::abort(const std::string& why) {
  if (!run_) return;
  timer_.cancel();
  fail(why, proto::ErrorCode::unavailable);
}

std::string RollingRestart::not_restarted_json() const {
  JsonWriter w;
  w.begin_array();
  for (std::size_t i = run_->index + 1; i < run_->order.size(); ++i) w.value(run_->order[i]);
  return w.end_array().take();
}

void RollingRestart::fail(std::string why, proto::ErrorCode code) {
  Run& run = *run_;
  const bool at_cluster = run.index < run.order.size();
  const std::size_t left = at_cluster ? run.order.size() - run.index - 1 : 0;
  log_->error("rolling restart stopped at {} of {}: {}{}", run.index + 1, run.order.size(), why,
              left > 0 ? fmt::format("; {} clusters after it were not restarted", left) : std::string());
  JsonWriter w = event_head(EventKind::rolling_restart_failed);
  if (at_cluster) w.field("cluster", run.order[run.index]);
  w.field("index", static_cast<std::uint64_t>(run.index + 1)).field("total", static_cast<std::uint64_t>(run.order.size()));
  w.field("restarted", static_cast<std::uint64_t>(run.index)).field("reason", why);
  w.key("not_restarted").raw(not_restarted_json());
  emit(EventKind::rolling_restart_failed, w.end_object().take());
  Outcome outcome;
  outcome.ok = false;
  outcome.code = code;
  outcome.message = left > 0 ? fmt::format("{}; stopped, {} clusters after it were not restarted", why, left) : why;
  Done done = std::move(run.done);
  run_.reset();
  if (done) done(outcome);
}

void RollingRestart::emit(EventKind kind, const std::string& json) {
  if (on_event) on_event(kind, json);
}

}  // namespace megane::daemon
