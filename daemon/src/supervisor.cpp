#include "supervisor.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <random>

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "child_process.hpp"
#include "cpu_set.hpp"

namespace megane::daemon {
namespace {

std::string millis_text(std::chrono::steady_clock::duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return ms >= 10'000 ? fmt::format("{} s", ms / 1000) : fmt::format("{} ms", ms);
}

}  // namespace

Supervisor::Supervisor(boost::asio::io_context& io, const Config& config, Plan plan,
                       std::filesystem::path launcher, std::filesystem::path socket,
                       std::shared_ptr<spdlog::logger> log)
    : io_(io),
      config_(config),
      plan_(std::move(plan)),
      launcher_(std::move(launcher)),
      socket_(std::move(socket)),
      log_(std::move(log)) {
  std::random_device rd;
  // Generations are unguessable and never repeat within a run, so a stale or foreign process
  // cannot pass for a cluster.
  next_generation_ = (static_cast<std::uint64_t>(rd()) << 32 | rd()) & 0x7fff'ffff'ffff'ffffULL;
  for (const auto& cp : plan_.clusters)
    children_.push_back(std::make_unique<Child>(io_, cp, config_.supervision,
                                                static_cast<std::uint64_t>(rd()) << 32 | rd()));
}

Supervisor::~Supervisor() {
  // The daemon is going away: nothing of ours may outlive it (pdeathsig covers a crash).
  for (auto& c : children_)
    if (c->pid > 0) signal_group(c->pid, SIGKILL);
}

bool Supervisor::all_ready() const noexcept {
  for (const auto& c : children_)
    if (c->state != ChildState::ready) return false;
  return !children_.empty();
}

void Supervisor::start_all() {
  for (auto& c : children_) dispatch(*c, ChildEvent::start);
  report_progress();
}

void Supervisor::stop_all(std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  for (auto& c : children_) dispatch(*c, ChildEvent::stop);
  bool any = false;
  for (auto& c : children_) any = any || c->pid > 0;
  if (!any && stopped_) std::exchange(stopped_, nullptr)();
}

void Supervisor::dispatch(Child& c, ChildEvent event) {
  const auto [next, action] = transition(c.state, event);
  if (next != c.state || action != ChildAction::none) {
    log_->debug("cluster {}: {} + {} -> {} ({})", c.plan.id, to_string(c.state), to_string(event),
                to_string(next), to_string(action));
  }
  const ChildState before = c.state;
  c.state = next;
  perform(c, action);
  if (before != c.state) report_progress();
}

void Supervisor::perform(Child& c, ChildAction action) {
  switch (action) {
    case ChildAction::none: return;
    case ChildAction::spawn: spawn(c); return;
    case ChildAction::terminate: terminate(c); return;
    case ChildAction::schedule_restart: {
      const auto delay = c.policy.next_delay(Clock::now());
      log_->info("cluster {}: restarting in {}", c.plan.id, millis_text(delay));
      arm_timer(c, delay);
      return;
    }
    case ChildAction::quarantine: {
      const auto& q = config_.supervision.quarantine_for;
      log_->error("cluster {}: quarantined after {} failures within {} s (last: {}){}", c.plan.id,
                  c.policy.failures_in_window(),
                  std::chrono::duration_cast<std::chrono::seconds>(config_.supervision.crash_window).count(),
                  c.last_exit,
                  q.count() > 0 ? fmt::format("; next try in {}", millis_text(q))
                                : std::string("; waiting for `meganectl restart`"));
      if (q.count() > 0) arm_timer(c, q);
      resolve_waiters(c, false, "quarantined after repeated crashes (" + c.last_exit + ")");
      return;
    }
    case ChildAction::give_up:
      log_->error("cluster {}: exited with the do-not-restart code {}; not restarting until an "
                  "operator runs `meganectl restart {}`",
                  c.plan.id, config_.supervision.fatal_exit_code, c.plan.id);
      resolve_waiters(c, false, "exited with the do-not-restart code (" + c.last_exit + ")");
      return;
    case ChildAction::cancel_timer:
      c.timer.cancel();
      c.timer_due.reset();
      resolve_waiters(c, false, "stopped");
      return;
  }
}

void Supervisor::spawn(Child& c) {
  c.generation = ++next_generation_;
  std::map<std::string, std::string> vars = config_.bot.env;
  vars["MEGANE_SOCKET"] = socket_.string();
  vars["MEGANE_ROLE"] = "cluster";
  vars["MEGANE_CLUSTER_ID"] = std::to_string(c.plan.id);
  vars["MEGANE_GENERATION"] = std::to_string(c.generation);
  vars["MEGANE_BOT"] = config_.name;
  // The worker's own shutdown deadline ends before our SIGKILL, so it can still exit cleanly.
  const auto stop = config_.supervision.stop_timeout;
  const auto margin = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(250), stop / 10);
  vars["MEGANE_STOP_TIMEOUT_MS"] = std::to_string(std::max<std::int64_t>(100, (stop - margin).count()));

  SpawnRequest req;
  req.launcher = launcher_;
  req.executable = config_.bot.executable;
  req.args = config_.bot.args;
  req.env = child_environment(vars);
  req.working_directory = config_.bot.working_directory;
  req.cpus = c.plan.cores;

  const auto now = Clock::now();
  c.policy.on_spawn(now);
  c.spawned_at = now;
  c.last_seen = now;
  const SpawnResult r = spawn_child(req);
  if (r.pid < 0) {
    // Treated like a crash on the next turn of the loop, so backoff and quarantine apply.
    c.last_exit = fmt::format("spawn failed: {}", std::strerror(r.error));
    log_->error("cluster {}: cannot spawn {}: {}", c.plan.id, launcher_.string(), std::strerror(r.error));
    const std::uint64_t gen = c.generation;
    boost::asio::post(io_, [this, &c, gen] {
      if (c.generation != gen || c.pid != 0 || !has_process(c.state)) return;
      dispatch(c, c.policy.on_failure(Clock::now()) ? ChildEvent::exited_crash_loop : ChildEvent::exited);
    });
    return;
  }
  c.pid = r.pid;
  ++c.spawns;
  log_->info("cluster {}: spawned pid {} (shards {}-{}, CPU {})", c.plan.id, c.pid, c.plan.first_shard,
             c.plan.last_shard(), format_cpu_list(c.plan.cores));
}

void Supervisor::terminate(Child& c) {
  if (c.pid <= 0) return;
  signal_group(c.pid, SIGTERM);
  const pid_t pid = c.pid;
  c.kill_timer.expires_after(config_.supervision.stop_timeout);
  c.kill_timer.async_wait([this, &c, pid](const boost::system::error_code& ec) {
    if (ec || c.pid != pid) return;
    log_->warn("cluster {}: pid {} still running {} after SIGTERM; sending SIGKILL to its group",
               c.plan.id, pid, millis_text(config_.supervision.stop_timeout));
    signal_group(pid, SIGKILL);
  });
}

void Supervisor::arm_timer(Child& c, Clock::duration delay) {
  c.timer_due = Clock::now() + delay;
  c.timer.expires_after(delay);
  c.timer.async_wait([this, &c](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled
    c.timer_due.reset();
    dispatch(c, ChildEvent::timer);
  });
}

void Supervisor::on_exit(pid_t pid, int wait_status) {
  Child* found = nullptr;
  for (auto& c : children_)
    if (c->pid == pid) found = c.get();
  if (!found) return;
  Child& c = *found;
  // Whatever the leader left behind in its group goes with it.
  signal_group(pid, SIGKILL);
  c.kill_timer.cancel();
  c.pid = 0;
  // Keep why the daemon ended it (e.g. a hang) in front of how it ended.
  c.last_exit = c.kill_reason.empty() ? describe_exit(wait_status)
                                      : c.kill_reason + ", then " + describe_exit(wait_status);
  c.kill_reason.clear();

  ChildEvent event = ChildEvent::exited;
  const bool expected = c.state == ChildState::stopping || c.state == ChildState::restarting;
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == config_.supervision.fatal_exit_code) {
    event = ChildEvent::exited_fatal;
  } else if (c.state == ChildState::restarting) {
    event = std::exchange(c.quarantine_on_exit, false) ? ChildEvent::exited_crash_loop : ChildEvent::exited;
  } else if (!expected && c.policy.on_failure(Clock::now())) {
    event = ChildEvent::exited_crash_loop;
  }
  if (expected) log_->info("cluster {}: pid {} stopped ({})", c.plan.id, pid, c.last_exit);
  else log_->warn("cluster {}: pid {} exited unexpectedly ({})", c.plan.id, pid, c.last_exit);
  dispatch(c, event);

  if (stopping_ && stopped_) {
    bool any = false;
    for (auto& ch : children_) any = any || ch->pid > 0;
    if (!any) std::exchange(stopped_, nullptr)();
  }
}

Child* Supervisor::find(std::uint32_t cluster_id, std::uint64_t generation) {
  if (cluster_id >= children_.size()) return nullptr;
  Child& c = *children_[cluster_id];
  if (c.generation != generation || c.pid <= 0) return nullptr;
  return &c;
}

const Child* Supervisor::accept_hello(std::uint32_t cluster_id, std::uint64_t generation,
                                      std::string& error) {
  if (cluster_id >= children_.size()) {
    error = fmt::format("no cluster {} in this plan ({} clusters)", cluster_id, children_.size());
    return nullptr;
  }
  Child* c = find(cluster_id, generation);
  if (!c) {
    error = fmt::format("cluster {}: generation {} is not the running process (stale or foreign)",
                        cluster_id, generation);
    return nullptr;
  }
  c->last_seen = Clock::now();
  return c;
}

void Supervisor::on_ready(std::uint32_t cluster_id, std::uint64_t generation) {
  Child* c = find(cluster_id, generation);
  if (!c || c->state != ChildState::starting) return;
  const auto now = Clock::now();
  c->ready_at = now;
  c->last_seen = now;
  c->policy.on_ready(now);
  log_->info("cluster {}: ready ({} after spawn)", c->plan.id, millis_text(now - c->spawned_at));
  dispatch(*c, ChildEvent::ready);
  resolve_waiters(*c, true, {});
  if (!announced_all_ready_ && all_ready()) {
    announced_all_ready_ = true;
    log_->info("all {} clusters ready", children_.size());
    if (on_all_ready) on_all_ready();
  }
}

void Supervisor::on_seen(std::uint32_t cluster_id, std::uint64_t generation) {
  if (Child* c = find(cluster_id, generation)) c->last_seen = Clock::now();
}

bool Supervisor::restart(std::uint32_t cluster_id, std::function<void(bool, const std::string&)> done) {
  if (cluster_id >= children_.size() || stopping_) return false;
  Child& c = *children_[cluster_id];
  log_->info("cluster {}: restart requested by an operator", c.plan.id);
  c.policy.reset();
  c.quarantine_on_exit = false;
  if (done) c.ready_waiters.push_back(std::move(done));
  if (c.pid > 0) c.kill_reason = "restarted by an operator";
  c.timer.cancel();
  c.timer_due.reset();
  dispatch(c, ChildEvent::restart);
  return true;
}

void Supervisor::check_liveness() {
  const auto now = Clock::now();
  const auto& sup = config_.supervision;
  for (auto& cp : children_) {
    Child& c = *cp;
    if (c.pid <= 0) continue;
    std::string why;
    if (c.state == ChildState::starting && now - c.spawned_at > sup.ready_timeout) {
      why = fmt::format("not ready {} after spawn", millis_text(sup.ready_timeout));
    } else if (c.state == ChildState::ready && now - c.last_seen > sup.heartbeat_timeout) {
      why = fmt::format("no answer to heartbeats for {}", millis_text(now - c.last_seen));
    } else {
      continue;
    }
    log_->warn("cluster {}: pid {} {}; restarting it", c.plan.id, c.pid, why);
    c.kill_reason = "hung: " + why;
    c.quarantine_on_exit = c.policy.on_failure(now);
    dispatch(c, ChildEvent::hung);
  }
}

void Supervisor::resolve_waiters(Child& c, bool ok, const std::string& why) {
  auto waiters = std::move(c.ready_waiters);
  c.ready_waiters.clear();
  for (auto& w : waiters) w(ok, why);
}

void Supervisor::report_progress() {
  if (!on_progress) return;
  std::size_t ready = 0;
  std::size_t down = 0;
  for (const auto& c : children_) {
    if (c->state == ChildState::ready) ++ready;
    if (c->state == ChildState::quarantined || c->state == ChildState::failed) ++down;
  }
  std::string text = fmt::format("{}/{} clusters ready, {} shards", ready, children_.size(), plan_.total_shards);
  if (down > 0) text += fmt::format(", {} quarantined or failed", down);
  on_progress(text);
}

}  // namespace megane::daemon
