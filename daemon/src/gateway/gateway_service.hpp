// The daemon's side of the gateway range (0x06xx): gateway_config (token, URLs, IDENTIFY
// settings, the cluster's sessions to resume), identify permits, sessions and shard status.
// Exists only when the config has a [gateway] section; built once GET /gateway/bot answered.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>

#include "config.hpp"
#include "connection.hpp"
#include "gateway/gateway_bot.hpp"
#include "gateway/gateway_bot_fetcher.hpp"
#include "gateway/identify_authority.hpp"
#include "gateway/session_registry.hpp"
#include "gateway/shard_board.hpp"
#include "gateway/token.hpp"
#include "json_writer.hpp"
#include "supervisor.hpp"

namespace megane::daemon {

class GatewayService {
 public:
  // `fetcher` refreshes the budget when it resets; `token` and `fetcher` outlive this.
  GatewayService(boost::asio::io_context& io, const GatewayConfig& config, const BotToken& token,
                 GatewayBotFetcher& fetcher, const GatewayBotInfo& info, std::uint32_t total_shards,
                 std::shared_ptr<spdlog::logger> log);

  // Shard state changes, for the event hub (EventKind::shard).
  std::function<void(proto::EventKind, const std::string&)> on_event;

  // A gateway frame from `cluster`'s current process over `conn`.
  void handle(Connection& conn, const proto::FrameView& frame, const Child& cluster);
  // The cluster's connection closed: permits it holds or waits for are revoked.
  void connection_closed(const Child& cluster, std::uint64_t generation);
  // The cluster's process exited: the same, and its shards are unknown again. Sessions stay.
  void process_exited(const Child& cluster, std::uint64_t generation);

  // The status JSON's "gateway" object and a cluster's "shard_states" array.
  void write_status(JsonWriter& w) const;
  void write_shards(JsonWriter& w, const ClusterPlan& plan) const;

  std::uint32_t max_concurrency() const noexcept { return authority_.queue().max_concurrency(); }
  // The process `generation` waits in the identify queue (or holds an unused permit).
  bool identify_busy(std::uint64_t generation) const { return authority_.busy(generation); }
  // For the metrics endpoint and /healthz.
  const IdentifyQueue& identify_queue() const noexcept { return authority_.queue(); }
  std::uint32_t identify_daily_limit() const noexcept { return session_total_; }
  const ShardView& shard(std::uint32_t id) const { return shards_.at(id); }
  void stop();

 private:
  void send_config(Connection& conn, std::uint32_t request_id, const Child& cluster);
  void shard_status(Connection& conn, const proto::FrameView& frame, const Child& cluster);
  void schedule_refresh(std::chrono::milliseconds after);

  const GatewayConfig& config_;
  const BotToken& token_;
  GatewayBotFetcher& fetcher_;
  std::shared_ptr<spdlog::logger> log_;
  std::uint32_t total_shards_;
  std::uint32_t recommended_shards_;
  std::uint32_t session_total_;
  IdentifyAuthority authority_;
  SessionRegistry sessions_;
  ShardBoard shards_;
  boost::asio::steady_timer refresh_timer_;
  std::chrono::steady_clock::time_point budget_resets_at_{};
};

}  // namespace megane::daemon
