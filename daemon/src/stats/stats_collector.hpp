// Collects statistics every [stats] interval: asks every connected worker for its figures
// (stats_request, answered like command_deliver), waits for the answers at most a short
// window, then reads every process's CPU and memory from /proc, builds the snapshot and
// publishes stats_updated. Everything runs on the daemon's loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>
#include <megane/proto/stats_messages.hpp>

#include "command_router.hpp"
#include "config.hpp"
#include "connection.hpp"
#include "stats/proc_sampler.hpp"
#include "stats/stats_snapshot.hpp"
#include "supervisor.hpp"

namespace megane::daemon {

class StatsCollector {
 public:
  using Clock = std::chrono::steady_clock;

  StatsCollector(boost::asio::io_context& io, const StatsConfig& config, const Supervisor& supervisor,
                 CommandRouter& router, Clock::time_point daemon_started, std::shared_ptr<spdlog::logger> log);

  // stats_updated events, for the event hub.
  std::function<void(proto::EventKind, const std::string&)> on_event;

  void start();
  void stop();
  // Reload: the interval changed; the next collection comes one new interval from now.
  void reschedule();
  // A stats_report reply from a worker.
  void on_report(Connection& conn, const proto::FrameView& frame);

  const StatsSnapshot& latest() const noexcept { return latest_; }

 private:
  struct Pending {
    std::size_t child = 0;
    std::uint64_t generation = 0;
  };
  // The last report of a child's process, and the event counts used for the next rate.
  struct Report {
    std::uint64_t generation = 0;
    std::uint64_t collection = 0;
    proto::WorkerStats stats;
    std::map<std::uint32_t, std::uint64_t> events_before;  // per shard, at `before_at`
    Clock::time_point before_at{};
    std::uint64_t warned_generation = 0;  // bad custom stats were logged for this process
  };

  void schedule();
  void begin();
  void finish();
  ChildFigures figures_of(const Child& c, Clock::time_point now);
  void fill_worker(ChildFigures& out, const Child& c, Clock::time_point now);

  boost::asio::io_context& io_;
  const StatsConfig& config_;
  const Supervisor& supervisor_;
  CommandRouter& router_;
  Clock::time_point daemon_started_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::steady_timer interval_timer_;
  boost::asio::steady_timer window_timer_;
  Clock::time_point next_at_{};
  std::map<std::uint32_t, Pending> pending_;  // by request id
  std::uint32_t next_request_id_ = 1;
  std::uint64_t collection_ = 0;
  bool collecting_ = false;
  bool stopped_ = false;
  std::vector<CpuMeter> meters_;  // by Child::index
  CpuMeter daemon_meter_;
  std::vector<Report> reports_;   // by Child::index
  StatsSnapshot latest_;
};

}  // namespace megane::daemon
