// A rolling restart: every cluster in id order, one at a time, the next only once the previous
// is ready again (all its shards READY or RESUMED, as the SDK reports), stopping at the first
// cluster that does not come back. It lives in meganed, not in meganectl, so an operator whose
// ssh session drops does not leave the bot half restarted, and a second request can be refused
// while one runs. Progress goes out as rolling_restart_* events.
#pragma once

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

#include "supervisor.hpp"

namespace megane::daemon {

class RollingRestart {
 public:
  using Clock = std::chrono::steady_clock;

  // How a run ended. On failure `cluster` is the one that did not come back and `code` what
  // the requester is told (target_exited, timeout, busy...).
  struct Outcome {
    bool ok = false;
    std::string json;     // ok: {"clusters":N,"seconds":S}
    std::string message;  // failure: for people, names the cluster and why
    proto::ErrorCode code = proto::ErrorCode::internal;
  };
  using Done = std::function<void(const Outcome&)>;

  RollingRestart(boost::asio::io_context& io, Supervisor& supervisor, std::shared_ptr<spdlog::logger> log);
  ~RollingRestart();

  bool running() const noexcept { return run_.has_value(); }
  // "cluster 1 (2 of 4), started 12 s ago by uid 0 (pid 412)"; empty when none runs.
  std::string describe() const;

  // Begins a run; `done` is called once, when it ends. False (and `done` not kept) when one
  // runs already: describe() says which.
  bool start(std::chrono::milliseconds cluster_timeout, std::string origin, Done done);
  // meganed is stopping: the run ends as failed, the cluster being restarted is left to the
  // shutdown.
  void abort(const std::string& why);
  // Called for every child process that exits (Supervisor::on_process_exit).
  void on_process_exit(const Child& child);

  // rolling_restart_* events, for the event hub.
  std::function<void(proto::EventKind, const std::string&)> on_event;

 private:
  struct Run {
    std::uint64_t id = 0;
    std::vector<std::uint32_t> order;  // cluster ids
    std::size_t index = 0;             // into order: the cluster being restarted
    std::uint64_t old_generation = 0;  // its process before the restart
    Clock::time_point started{};
    Clock::time_point step_started{};
    std::chrono::milliseconds cluster_timeout{};
    std::string origin;
    Done done;
  };

  void step();
  void cluster_settled(std::uint64_t run_id, std::size_t index, bool ok, const std::string& why);
  void fail(std::string why, proto::ErrorCode code);
  void emit(proto::EventKind kind, const std::string& json);
  std::string not_restarted_json() const;

  boost::asio::io_context& io_;
  Supervisor& supervisor_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::steady_timer timer_;  // the current cluster's deadline
  std::optional<Run> run_;
  std::uint64_t next_id_ = 1;
};

}  // namespace megane::daemon
