// The base class of a bot's cluster process. meganed runs one process per cluster; megane::run
// connects it to the daemon, constructs the worker, runs launch(), and calls shutdown() when
// the process must stop. Everything happens on one io_context, on one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include <megane/sdk/ipc_client.hpp>

namespace megane {

// The contiguous shard range of one cluster: shards [first, first + count) of `total`.
struct ShardRange {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  std::uint32_t total = 0;

  std::uint32_t end() const noexcept { return first + count; }  // one past the last
  bool empty() const noexcept { return count == 0; }
  bool contains(std::uint32_t shard) const noexcept { return shard >= first && shard < end(); }
};

// What megane::run hands to a worker's constructor. Pass it on to ClusterWorker unchanged.
struct ClusterContext {
  boost::asio::io_context* io = nullptr;
  IpcClient* ipc = nullptr;
  std::shared_ptr<spdlog::logger> logger;
  std::uint32_t cluster_id = 0;
  ShardRange shards;
  std::string bot;
  std::function<void(int)> request_stop;  // see ClusterWorker::request_stop
};

class ClusterWorker {
 public:
  explicit ClusterWorker(ClusterContext context);
  virtual ~ClusterWorker();
  ClusterWorker(const ClusterWorker&) = delete;
  ClusterWorker& operator=(const ClusterWorker&) = delete;

  // Starts the cluster: connect the shards, then report_ready(). It may return once things
  // run (the process stays up until it is stopped) or keep running; when the process stops,
  // a launch() still running is cancelled (its pending operation fails with
  // operation_aborted) before shutdown() is called. An exception escaping launch() ends the
  // process with exit code 1.
  virtual boost::asio::awaitable<void> launch() = 0;

  // Closes everything cleanly (gateway sessions, files). Called once, on SIGTERM/SIGINT or
  // when the daemon goes away, and bounded by MEGANE_STOP_TIMEOUT_MS (default 10 s).
  virtual boost::asio::awaitable<void> shutdown();

  std::uint32_t cluster_id() const noexcept { return context_.cluster_id; }
  const ShardRange& shards() const noexcept { return context_.shards; }
  std::uint32_t first_shard() const noexcept { return context_.shards.first; }
  std::uint32_t shard_count() const noexcept { return context_.shards.count; }
  std::uint32_t total_shards() const noexcept { return context_.shards.total; }
  const std::string& bot_name() const noexcept { return context_.bot; }

  boost::asio::io_context& io() const noexcept { return *context_.io; }
  IpcClient& ipc() const noexcept { return *context_.ipc; }
  spdlog::logger& logger() const noexcept { return *context_.logger; }

  // Tells meganed this cluster is ready (all its shards are). The daemon counts the cluster
  // ready only from now on. Only the first call sends anything.
  void report_ready();
  bool ready_reported() const noexcept { return ready_reported_; }

  // Asks the SDK to stop the process: launch() is cancelled, shutdown() runs, and the process
  // exits with `exit_code` (megane::do_not_restart to keep meganed from restarting it).
  void request_stop(int exit_code = 0);

 private:
  ClusterContext context_;
  bool ready_reported_ = false;
};

}  // namespace megane
