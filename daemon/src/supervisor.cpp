#include "supervisor.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <random>

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cache_snapshot_dir.hpp"
#include "child_process.hpp"
#include "cpu_set.hpp"
#include "json_writer.hpp"

namespace megane::daemon {

using proto::EventKind;

namespace {

std::string millis_text(std::chrono::steady_clock::duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return ms >= 10'000 ? fmt::format("{} s", ms / 1000) : fmt::format("{} ms", ms);
}

std::uint64_t random_u64(std::random_device& rd) {
  return static_cast<std::uint64_t>(rd()) << 32 | rd();
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
  // cannot pass for a child.
  next_generation_ = random_u64(rd) & 0x7fff'ffff'ffff'ffffULL;
  for (const auto& cp : plan_.clusters) {
    auto c = std::make_unique<Child>(io_, children_.size(), ChildKind::cluster,
                                     fmt::format("cluster {}", cp.id), config_.supervision, random_u64(rd));
    c->plan = cp;
    children_.push_back(std::move(c));
  }
  for (const auto& svc : config_.services) {
    auto c = std::make_unique<Child>(io_, children_.size(), ChildKind::service,
                                     fmt::format("service {}", svc.name), config_.supervision, random_u64(rd));
    c->service = &svc;
    children_.push_back(std::move(c));
  }
}

Supervisor::~Supervisor() {
  // The daemon is going away: nothing of ours may outlive it (pdeathsig covers a crash).
  for (auto& c : children_)
    if (c->pid > 0) signal_group(c->pid, SIGKILL);
}

Child* Supervisor::cluster(std::uint32_t id) noexcept {
  return id < plan_.clusters.size() ? children_[id].get() : nullptr;
}

Child* Supervisor::service(std::string_view name) noexcept {
  for (std::size_t i = plan_.clusters.size(); i < children_.size(); ++i)
    if (children_[i]->service->name == name) return children_[i].get();
  return nullptr;
}

bool Supervisor::all_ready() const noexcept {
  for (std::size_t i = 0; i < plan_.clusters.size(); ++i)
    if (children_[i]->state != ChildState::ready) return false;
  return !plan_.clusters.empty();
}

const ProgramConfig& Supervisor::program(const Child& c) const {
  return c.kind == ChildKind::cluster ? static_cast<const ProgramConfig&>(config_.bot) : *c.service;
}

void Supervisor::start_all() {
  // Services first: clusters usually want them at hand when they come up.
  for (std::size_t i = plan_.clusters.size(); i < children_.size(); ++i) dispatch(*children_[i], ChildEvent::start);
  for (std::size_t i = 0; i < plan_.clusters.size(); ++i) dispatch(*children_[i], ChildEvent::start);
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
    log_->debug("{}: {} + {} -> {} ({})", c.label, to_string(c.state), to_string(event), to_string(next),
                to_string(action));
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
      log_->info("{}: restarting in {}", c.label, millis_text(delay));
      arm_timer(c, delay);
      return;
    }
    case ChildAction::quarantine: {
      const auto& q = config_.supervision.quarantine_for;
      log_->error("{}: quarantined after {} failures within {} s (last: {}){}", c.label,
                  c.policy.failures_in_window(),
                  std::chrono::duration_cast<std::chrono::seconds>(config_.supervision.crash_window).count(),
                  c.last_exit,
                  q.count() > 0 ? fmt::format("; next try in {}", millis_text(q))
                                : std::string("; waiting for `meganectl restart`"));
      if (q.count() > 0) arm_timer(c, q);
      emit(c, EventKind::cluster_quarantined, EventKind::service_quarantined, {});
      resolve_waiters(c, false, "quarantined after repeated crashes (" + c.last_exit + ")");
      return;
    }
    case ChildAction::give_up:
      log_->error("{}: exited with the do-not-restart code {}; not restarting until an operator "
                  "runs `meganectl restart`",
                  c.label, config_.supervision.fatal_exit_code);
      emit(c, EventKind::cluster_failed, EventKind::service_failed, {});
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
  const ProgramConfig& prog = program(c);
  std::map<std::string, std::string> vars = prog.env;
  vars["MEGANE_SOCKET"] = socket_.string();
  vars["MEGANE_GENERATION"] = std::to_string(c.generation);
  vars["MEGANE_BOT"] = config_.name;
  if (c.kind == ChildKind::cluster) {
    vars["MEGANE_ROLE"] = "cluster";
    vars["MEGANE_CLUSTER_ID"] = std::to_string(c.plan.id);
    // Read at spawn, so a reloaded value reaches each cluster's next process.
    if (config_.gateway) {
      vars["MEGANE_SHARD_SILENCE_MS"] = std::to_string(config_.gateway->shard_silence_timeout.count());
    }
    if (!snapshot_dir_.empty()) {
      vars["MEGANE_CACHE_SNAPSHOT"] = snapshot_file(snapshot_dir_, c.plan.id).string();
      vars["MEGANE_CACHE_SNAPSHOT_MAX_BYTES"] = std::to_string(config_.cache_snapshots.max_bytes);
    }
  } else {
    vars["MEGANE_ROLE"] = "service";
    vars["MEGANE_SERVICE"] = c.service->name;
  }
  // The worker's own shutdown deadline ends before our SIGKILL, so it can still exit cleanly.
  const auto stop = config_.supervision.stop_timeout;
  const auto margin = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(250), stop / 10);
  vars["MEGANE_STOP_TIMEOUT_MS"] = std::to_string(std::max<std::int64_t>(100, (stop - margin).count()));

  SpawnRequest req;
  req.launcher = launcher_;
  req.executable = prog.executable;
  req.args = prog.args;
  req.env = child_environment(vars);
  req.working_directory = prog.working_directory;
  req.cpus = c.plan.cores;  // services: empty = the daemon's own affinity

  const auto now = Clock::now();
  c.policy.on_spawn(now);
  c.spawned_at = now;
  c.ready_clock_from = now;
  c.last_seen = now;
  const SpawnResult r = spawn_child(req);
  if (r.pid < 0) {
    // Treated like a crash on the next turn of the loop, so backoff and quarantine apply.
    c.last_exit = fmt::format("spawn failed: {}", std::strerror(r.error));
    log_->error("{}: cannot spawn {}: {}", c.label, launcher_.string(), std::strerror(r.error));
    const std::uint64_t gen = c.generation;
    boost::asio::post(io_, [this, &c, gen] {
      if (c.generation != gen || c.pid != 0 || !has_process(c.state)) return;
      dispatch(c, c.policy.on_failure(Clock::now()) ? ChildEvent::exited_crash_loop : ChildEvent::exited);
    });
    return;
  }
  c.pid = r.pid;
  ++c.spawns;
  if (c.kind == ChildKind::cluster) {
    log_->info("{}: spawned pid {} (shards {}-{}, CPU {})", c.label, c.pid, c.plan.first_shard,
               c.plan.last_shard(), format_cpu_list(c.plan.cores));
  } else {
    log_->info("{}: spawned pid {}", c.label, c.pid);
  }
  emit(c, EventKind::cluster_spawned, EventKind::service_spawned, {});
}

void Supervisor::terminate(Child& c) {
  if (c.pid <= 0) return;
  signal_group(c.pid, SIGTERM);
  const pid_t pid = c.pid;
  c.kill_timer.expires_after(config_.supervision.stop_timeout);
  c.kill_timer.async_wait([this, &c, pid](const boost::system::error_code& ec) {
    if (ec || c.pid != pid) return;
    log_->warn("{}: pid {} still running {} after SIGTERM; sending SIGKILL to its group", c.label, pid,
               millis_text(config_.supervision.stop_timeout));
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
  if (on_process_exit) on_process_exit(c);

  ChildEvent event = ChildEvent::exited;
  const bool expected = c.state == ChildState::stopping || c.state == ChildState::restarting;
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == config_.supervision.fatal_exit_code) {
    event = ChildEvent::exited_fatal;
  } else if (c.state == ChildState::restarting) {
    event = std::exchange(c.quarantine_on_exit, false) ? ChildEvent::exited_crash_loop : ChildEvent::exited;
  } else if (!expected && c.policy.on_failure(Clock::now())) {
    event = ChildEvent::exited_crash_loop;
  }
  if (expected) log_->info("{}: pid {} stopped ({})", c.label, pid, c.last_exit);
  else log_->warn("{}: pid {} exited unexpectedly ({})", c.label, pid, c.last_exit);
  {
    JsonWriter w;
    w.begin_object().field("pid", static_cast<std::int64_t>(pid)).field("reason", c.last_exit);
    // The numbers too, so scripts need not parse `reason`: exactly one of code and signal.
    if (WIFEXITED(wait_status)) w.field("code", static_cast<std::int64_t>(WEXITSTATUS(wait_status)));
    else if (WIFSIGNALED(wait_status)) w.field("signal", static_cast<std::int64_t>(WTERMSIG(wait_status)));
    w.field("expected", expected).end_object();
    std::string fields = w.take();
    emit(c, EventKind::cluster_exited, EventKind::service_exited, fields.substr(1, fields.size() - 2));
  }
  dispatch(c, event);

  if (stopping_ && stopped_) {
    bool any = false;
    for (auto& ch : children_) any = any || ch->pid > 0;
    if (!any) std::exchange(stopped_, nullptr)();
  }
}

Child* Supervisor::find(std::size_t index, std::uint64_t generation) {
  if (index >= children_.size()) return nullptr;
  Child& c = *children_[index];
  if (c.generation != generation || c.pid <= 0) return nullptr;
  return &c;
}

Child* Supervisor::accept_hello(std::uint32_t cluster_id, std::uint64_t generation, std::string& error) {
  if (cluster_id >= plan_.clusters.size()) {
    error = fmt::format("no cluster {} in this plan ({} clusters)", cluster_id, plan_.clusters.size());
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

Child* Supervisor::accept_service_hello(std::string_view name, std::uint64_t generation, std::string& error) {
  Child* svc = service(name);
  if (!svc) {
    error = fmt::format("no service '{}' in this daemon's config", name);
    return nullptr;
  }
  Child* c = find(svc->index, generation);
  if (!c) {
    error = fmt::format("service {}: generation {} is not the running process (stale or foreign)", name,
                        generation);
    return nullptr;
  }
  c->last_seen = Clock::now();
  return c;
}

void Supervisor::on_ready(std::size_t index, std::uint64_t generation) {
  Child* c = find(index, generation);
  if (!c || c->state != ChildState::starting) return;
  const auto now = Clock::now();
  c->ready_at = now;
  c->last_seen = now;
  c->policy.on_ready(now);
  log_->info("{}: ready ({} after spawn)", c->label, millis_text(now - c->spawned_at));
  dispatch(*c, ChildEvent::ready);
  emit(*c, EventKind::cluster_ready, EventKind::service_ready, {});
  resolve_waiters(*c, true, {});
  if (!announced_all_ready_ && c->kind == ChildKind::cluster && all_ready()) {
    announced_all_ready_ = true;
    log_->info("all {} clusters ready", plan_.clusters.size());
    if (on_all_ready) on_all_ready();
  }
}

void Supervisor::on_seen(std::size_t index, std::uint64_t generation) {
  if (Child* c = find(index, generation)) c->last_seen = Clock::now();
}

bool Supervisor::restart(Child& c, std::function<void(bool, const std::string&)> done) {
  if (stopping_) return false;
  log_->info("{}: restart requested by an operator", c.label);
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
    const auto ready_timeout = c.kind == ChildKind::service ? c.service->ready_timeout : sup.ready_timeout;
    std::string why;
    if (c.state == ChildState::starting && waiting_for_identify && waiting_for_identify(c)) {
      c.ready_clock_from = now;
      continue;
    }
    if (c.state == ChildState::starting && now - c.ready_clock_from > ready_timeout) {
      why = fmt::format("not ready {} after spawn", millis_text(ready_timeout));
    } else if (c.state == ChildState::ready && now - c.last_seen > sup.heartbeat_timeout) {
      why = fmt::format("no answer to heartbeats for {}", millis_text(now - c.last_seen));
    } else {
      continue;
    }
    log_->warn("{}: pid {} {}; restarting it", c.label, c.pid, why);
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

void Supervisor::emit(const Child& c, EventKind cluster_kind, EventKind service_kind,
                      const std::string& detail_fields) {
  if (!on_event) return;
  JsonWriter w;
  const EventKind kind = c.kind == ChildKind::cluster ? cluster_kind : service_kind;
  w.begin_object().field("type", proto::to_string(kind));
  if (c.kind == ChildKind::cluster) w.field("cluster", c.plan.id);
  else w.field("service", c.service->name);
  w.field("state", to_string(c.state)).field("generation", c.generation);
  std::string json = w.take();
  if (!detail_fields.empty()) json.insert(json.size(), "," + detail_fields);
  json += '}';
  on_event(kind, json);
}

void Supervisor::report_progress() {
  if (!on_progress) return;
  std::size_t ready = 0;
  std::size_t down = 0;
  for (std::size_t i = 0; i < plan_.clusters.size(); ++i) {
    const auto st = children_[i]->state;
    if (st == ChildState::ready) ++ready;
    if (st == ChildState::quarantined || st == ChildState::failed) ++down;
  }
  std::string text = fmt::format("{}/{} clusters ready, {} shards", ready, plan_.clusters.size(), plan_.total_shards);
  if (down > 0) text += fmt::format(", {} quarantined or failed", down);
  on_progress(text);
}

}  // namespace megane::daemon
