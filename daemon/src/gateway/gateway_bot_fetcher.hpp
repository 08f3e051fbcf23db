// GET {api_url}/gateway/bot with the bot token, retried with backoff until it works, the token
// is rejected (401: retrying cannot help), or a deadline passes. Used at start (the shard count
// and the identify budget depend on it) and whenever the daily budget resets.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "config.hpp"
#include "gateway/gateway_bot.hpp"
#include "gateway/token.hpp"

namespace megane::daemon {

struct FetchFailure {
  bool token_rejected = false;  // 401: the token is wrong; an operator must act
  std::string message;          // one line, never the token
};

using FetchResult = std::variant<GatewayBotInfo, FetchFailure>;

class GatewayBotFetcher {
 public:
  GatewayBotFetcher(boost::asio::io_context& io, const GatewayConfig& config, const BotToken& token,
                    std::shared_ptr<spdlog::logger> log);

  // Calls `done` once, on the loop. A new fetch replaces one in progress (its `done` is
  // dropped).
  void fetch(std::chrono::milliseconds give_up_after, std::function<void(FetchResult)> done);
  void cancel();

  // The User-Agent Discord asks bots to send: DiscordBot ($url, $version).
  static std::string user_agent();

 private:
  void attempt();

  boost::asio::io_context& io_;
  const GatewayConfig& config_;
  const BotToken& token_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::steady_timer retry_timer_;
  std::function<void(FetchResult)> done_;
  std::chrono::steady_clock::time_point give_up_at_{};
  std::chrono::milliseconds delay_{0};
  std::uint64_t attempt_id_ = 0;  // answers of replaced or cancelled fetches are ignored
  std::string last_error_;
};

}  // namespace megane::daemon
