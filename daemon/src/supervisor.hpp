// Keeps the planned clusters running: spawns them, classifies what happens to them into
// lifecycle events, performs the actions the lifecycle table asks for, and answers questions
// about them (status, readiness). Single-threaded: everything runs on the daemon's io_context.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include <megane/proto/protocol.hpp>

#include "config.hpp"
#include "lifecycle.hpp"
#include "plan.hpp"
#include "restart_policy.hpp"

namespace megane::daemon {

enum class ChildKind : std::uint8_t { cluster, service };

struct Child {
  using TimePoint = std::chrono::steady_clock::time_point;

  Child(boost::asio::io_context& io, std::size_t idx, ChildKind k, std::string lbl,
        const SupervisionConfig& config, std::uint64_t seed)
      : index(idx), kind(k), label(std::move(lbl)), policy(config, seed), timer(io), kill_timer(io) {}

  std::size_t index;                 // position in Supervisor::children(): clusters, then services
  ChildKind kind;
  std::string label;                 // "cluster 2", "service api-poller": for logs and errors
  ClusterPlan plan;                  // clusters only
  const ServiceConfig* service = nullptr;  // services only
  ChildState state = ChildState::idle;
  pid_t pid = 0;
  std::uint64_t generation = 0;  // of the current (or last) process
  RestartPolicy policy;
  boost::asio::steady_timer timer;       // backoff / quarantine
  boost::asio::steady_timer kill_timer;  // SIGTERM -> SIGKILL escalation
  std::optional<TimePoint> timer_due;
  TimePoint spawned_at{};
  TimePoint ready_clock_from{};   // ready_timeout counts from here (spawn, or the last identify wait)
  TimePoint ready_at{};
  TimePoint last_seen{};          // any frame from the child
  std::uint32_t spawns = 0;
  std::string last_exit;          // describe_exit() of the last exit
  std::string kill_reason;        // why the daemon is terminating it, if it decided to
  bool quarantine_on_exit = false;  // it hung and that filled the crash window
  // Callbacks waiting for ready (true) or for giving up (false, reason).
  std::vector<std::function<void(bool, const std::string&)>> ready_waiters;
};

class Supervisor {
 public:
  using Clock = std::chrono::steady_clock;

  Supervisor(boost::asio::io_context& io, const Config& config, Plan plan,
             std::filesystem::path launcher, std::filesystem::path socket,
             std::shared_ptr<spdlog::logger> log);
  ~Supervisor();

  const Plan& plan() const noexcept { return plan_; }
  // Clusters first (index = cluster id), then services in config order.
  const std::vector<std::unique_ptr<Child>>& children() const noexcept { return children_; }
  std::size_t cluster_count() const noexcept { return plan_.clusters.size(); }
  Child* cluster(std::uint32_t id) noexcept;
  Child* service(std::string_view name) noexcept;
  bool all_ready() const noexcept;  // every cluster (services do not count)

  void start_all();
  // Where clusters keep their cache snapshots (cache_snapshot_dir.hpp); empty: none. Read at
  // each cluster spawn.
  void set_snapshot_dir(std::filesystem::path dir) { snapshot_dir_ = std::move(dir); }
  // Stops every child (SIGTERM, then SIGKILL after stop_timeout); `done` runs once none has a
  // process left.
  void stop_all(std::function<void()> done);

  // A child process ended (from the SIGCHLD reaper). Unknown pids (grandchildren adopted as
  // subreaper) are ignored.
  void on_exit(pid_t pid, int wait_status);

  // IPC side. A hello is accepted only for the current generation of a live process; the
  // result is the child, or nullptr with an error message.
  Child* accept_hello(std::uint32_t cluster_id, std::uint64_t generation, std::string& error);
  Child* accept_service_hello(std::string_view name, std::uint64_t generation, std::string& error);
  void on_ready(std::size_t index, std::uint64_t generation);
  void on_seen(std::size_t index, std::uint64_t generation);

  // Operator restart. `done(true)` once ready again, `done(false, why)` when it gives up.
  bool restart(Child& child, std::function<void(bool, const std::string&)> done);

  // Called at every heartbeat: restarts children that missed their ready or liveness deadline.
  void check_liveness();

  // Sets the progress text systemd shows (STATUS=).
  std::function<void(const std::string&)> on_progress;
  // Fires the first time every cluster is ready.
  std::function<void()> on_all_ready;
  // A child's process ended (before the lifecycle reacts); the child still carries the
  // generation of the process that exited.
  std::function<void(const Child&)> on_process_exit;
  // Lifecycle events for subscribers: kind and a JSON object describing it.
  std::function<void(proto::EventKind, const std::string&)> on_event;
  // Whether a starting cluster's process waits for identify permits: its ready_timeout is
  // paused meanwhile (a 1,000-shard bot takes minutes to identify, not the cluster's fault).
  std::function<bool(const Child&)> waiting_for_identify;

 private:
  void dispatch(Child& c, ChildEvent event);
  void perform(Child& c, ChildAction action);
  void spawn(Child& c);
  void terminate(Child& c);
  void arm_timer(Child& c, Clock::duration delay);
  void resolve_waiters(Child& c, bool ok, const std::string& why);
  void report_progress();
  void emit(const Child& c, proto::EventKind cluster_kind, proto::EventKind service_kind,
            const std::string& detail_fields);
  Child* find(std::size_t index, std::uint64_t generation);
  const ProgramConfig& program(const Child& c) const;

  boost::asio::io_context& io_;
  const Config& config_;
  Plan plan_;
  std::filesystem::path launcher_;
  std::filesystem::path socket_;
  std::filesystem::path snapshot_dir_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::unique_ptr<Child>> children_;
  std::uint64_t next_generation_;
  std::function<void()> stopped_;
  bool stopping_ = false;
  bool announced_all_ready_ = false;
};

}  // namespace megane::daemon
