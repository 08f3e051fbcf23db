// The machinery behind megane::Gateway: the shards of one cluster, the dispatch handlers, and
// the waits ClusterWorker needs (all shards READY, all shards stopped).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <megane/sdk/gateway.hpp>

#include "shard.hpp"
#include "shard_authority.hpp"

namespace megane {

struct Gateway::Impl {
  Impl(boost::asio::any_io_executor executor, std::shared_ptr<spdlog::logger> logger,
       std::function<void(int)> request_stop);
  ~Impl();

  // One shard per id in [first, first + count), with the daemon's settings; shards whose
  // session meganed kept will RESUME.
  void start(const proto::GatewayConfig& config, std::uint32_t first, std::uint32_t count,
             std::unique_ptr<gateway::ShardAuthority> authority);
  // Completes once every shard is READY (true) or one failed fatally (false).
  boost::asio::awaitable<bool> wait_ready();
  // Stops every shard gracefully (sessions stay resumable) and waits for them, at most `timeout`.
  boost::asio::awaitable<void> close(std::chrono::milliseconds timeout);

  void dispatch(std::uint32_t shard, std::string_view name, std::uint64_t seq, simdjson::dom::element data);
  void state_changed(const proto::ShardStatus& status);
  std::size_t ready_count() const;
  // Every shard's current session (session_id empty: none), in shard order.
  std::vector<proto::SessionInfo> sessions() const;

  boost::asio::any_io_executor executor;
  std::shared_ptr<spdlog::logger> logger;
  std::function<void(int)> request_stop;
  gateway::ShardSettings settings;
  std::unique_ptr<gateway::ShardAuthority> authority;
  std::vector<std::unique_ptr<gateway::Shard>> shards;
  std::map<std::string, std::vector<DispatchHandler>, std::less<>> handlers;
  std::vector<DispatchHandler> any_handlers;
  // Runs before the named handlers: the cluster's cache, so handlers already see the change.
  DispatchHandler before_handlers;
  std::size_t running = 0;            // shards whose run() has not completed
  bool fatal = false;
  boost::asio::steady_timer changed;  // wait_ready() sleeps on it; state changes cancel it
  boost::asio::steady_timer stopped;  // close() sleeps on it; a shard's run() ending cancels it
};

}  // namespace megane
