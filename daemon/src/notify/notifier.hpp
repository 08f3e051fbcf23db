// [notifications]: posts chosen events to a Discord channel (REST, the bot token) or a
// webhook. Events are collected for batch_window and sent as one message; messages wait in a
// bounded queue (the oldest dropped, and counted in the next message) and go one at a time,
// no sooner than Discord's rate limits allow (429 retry_after, X-RateLimit-Remaining: 0 with
// X-RateLimit-Reset-After). Everything is asynchronous on the daemon's loop: a slow or absent
// Discord never holds the loop up. The token and a webhook's URL are never logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "config.hpp"
#include "gateway/base_url.hpp"
#include "gateway/token.hpp"
#include "notify/event_notices.hpp"
#include "notify/health_watch.hpp"
#include "notify/notice_batcher.hpp"
#include "notify/rate_limit.hpp"

namespace megane::daemon {

struct HttpAnswer;

class Notifier {
 public:
  using Clock = std::chrono::steady_clock;

  // `token` (may be null without [gateway]) must outlive the notifier.
  Notifier(boost::asio::io_context& io, std::string bot, const BotToken* token, std::shared_ptr<spdlog::logger> log);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // The one way settings take effect, at start and at a reload: target, events, window,
  // thresholds, queue size. Collected notices and queued messages are kept (and go to the new
  // target).
  void apply(const NotificationsConfig& config);

  // An event of the daemon's hub, by its type name ("cluster_exited", ...).
  void on_event(std::string_view type, std::string_view json);
  // Called every tick: each shard's state, then the identify budget (with [gateway]).
  void observe_shard(std::uint32_t shard, std::uint32_t cluster, bool up, Clock::time_point now);
  void observe_shards_done(Clock::time_point now);
  void observe_identify_budget(std::uint32_t remaining, std::uint32_t total, std::uint32_t reserve);

  struct Figures {
    std::uint64_t messages_sent = 0;
    std::uint64_t notices_sent = 0;
    std::uint64_t notices_dropped = 0;  // lost to a full queue
    std::uint64_t messages_failed = 0;  // given up on (logged)
    std::uint64_t rate_limited = 0;     // 429 answers
  };
  const Figures& figures() const noexcept { return figures_; }

 private:
  struct Pending {
    NoticeBatch batch;
    std::uint32_t attempts = 0;
    std::uint32_t rate_limited = 0;
    std::uint64_t dropped_said = 0;  // dropped notices this message reports
  };

  void add(Notice notice, Clock::time_point now);
  void enqueue(NoticeBatch batch);
  void trim_queue();
  void schedule();
  void wake();
  void send_front();
  void on_answer(const HttpAnswer& answer);

  boost::asio::io_context& io_;
  std::string bot_;
  const BotToken* token_;
  std::shared_ptr<spdlog::logger> log_;
  std::optional<NotificationsConfig> config_;
  std::optional<Url> url_;         // where messages go; nullopt: misconfigured, nothing sent
  std::string target_;             // "channel 123" / "webhook 456": what logs may say
  std::string authorization_;      // "Bot ..." for a channel; empty for a webhook
  EventNotices events_;
  ShardDownWatch shards_;
  BudgetWatch budget_;
  NoticeBatcher batcher_{std::chrono::milliseconds(10'000)};
  std::deque<Pending> queue_;      // front() is the one in flight, if any
  bool in_flight_ = false;
  std::uint64_t dropped_unsaid_ = 0;
  RestRateLimit limit_;
  boost::asio::steady_timer timer_;
  std::optional<Clock::time_point> armed_for_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // answers after destruction are ignored
  Figures figures_;
};

}  // namespace megane::daemon
