#include "notify/notifier.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config_notifications.hpp"
#include "gateway/gateway_bot_fetcher.hpp"
#include "http/http_client.hpp"
#include "json_writer.hpp"

namespace megane::daemon {

namespace {

constexpr std::chrono::milliseconds request_timeout{10'000};

std::string event_list(std::uint32_t mask) {
  if (mask == all_notice_kinds) return "all events";
  std::string out;
  for (std::size_t i = 0; i < notice_kind_names.size(); ++i)
    if (mask & (1u << i)) out += (out.empty() ? "" : ", ") + std::string(notice_kind_names[i]);
  return out;
}

// allowed_mentions with no parse list: a notice never pings anyone, whatever its text holds.
std::string message_json(const std::string& content) {
  JsonWriter w;
  w.begin_object().field("content", content);
  w.key("allowed_mentions").begin_object().key("parse").begin_array().end_array().end_object();
  w.end_object();
  return w.take();
}

}  // namespace

Notifier::Notifier(boost::asio::io_context& io, std::string bot, const BotToken* token,
                   std::shared_ptr<spdlog::logger> log)
    : io_(io), bot_(std::move(bot)), token_(token), log_(std::move(log)), timer_(io) {}

Notifier::~Notifier() {
  timer_.cancel();
  if (!queue_.empty() || !batcher_.empty())
    log_->warn("notifications: {} unsent message(s) dropped at shutdown", queue_.size() + (batcher_.empty() ? 0 : 1));
}

void Notifier::apply(const NotificationsConfig& config) {
  config_ = config;
  batcher_.set_window(config.batch_window);
  url_.reset();
  authorization_.clear();
  if (!config.channel_id.empty()) {
    target_ = "channel " + config.channel_id;
    if (!token_) {
      log_->error("notifications: posting to {} needs the bot token ([gateway]); nothing will be sent", target_);
      return;
    }
    url_ = parse_url(config.api_url + "/channels/" + config.channel_id + "/messages");
    authorization_ = "Bot " + token_->reveal();
  } else {
    const auto parsed = parse_url(config.webhook_url, UrlQuery::allowed);
    target_ = "webhook " + (parsed ? webhook_id_of(parsed->path) : std::string("?"));
    url_ = parsed;
  }
  if (!url_) {  // the config check makes this unreachable
    log_->error("notifications: {}: not a usable URL; nothing will be sent", target_);
    return;
  }
  log_->info("notifications: to {} ({}), batched over {} ms, at most {} messages waiting", target_,
             event_list(config.events), config.batch_window.count(), config.queue_limit);
  trim_queue();
  schedule();
}

void Notifier::on_event(std::string_view type, std::string_view json) {
  if (auto notice = events_.translate(type, json)) add(std::move(*notice), Clock::now());
}

void Notifier::observe_shard(std::uint32_t shard, std::uint32_t cluster, bool up, Clock::time_point now) {
  shards_.observe(shard, cluster, up, now);
}

void Notifier::observe_shards_done(Clock::time_point now) {
  if (!config_) return;
  for (auto& notice : shards_.collect(config_->shard_down_after, now)) add(std::move(notice), now);
}

void Notifier::observe_identify_budget(std::uint32_t remaining, std::uint32_t total, std::uint32_t reserve) {
  if (!config_) return;
  const std::uint32_t threshold = config_->identify_remaining_below.value_or(2 * reserve);
  if (auto notice = budget_.observe(remaining, total, threshold)) add(std::move(*notice), Clock::now());
}

void Notifier::add(Notice notice, Clock::time_point now) {
  if (!config_ || !(config_->events & notice_bit(notice.kind))) return;
  log_->debug("notifications: {}", notice.text);
  batcher_.add(std::move(notice), now);
  schedule();
}

void Notifier::enqueue(NoticeBatch batch) {
  if (batch.size() == 0) return;
  queue_.push_back(Pending{std::move(batch)});
  trim_queue();
}

void Notifier::trim_queue() {
  const std::size_t limit = config_ ? config_->queue_limit : 1;
  // The message being sent stays; the oldest waiting one goes.
  while (queue_.size() > limit + (in_flight_ ? 1u : 0u)) {
    const auto victim = queue_.begin() + (in_flight_ ? 1 : 0);
    figures_.notices_dropped += victim->batch.size();
    dropped_unsaid_ += victim->batch.size();
    log_->warn("notifications: queue full ({} messages waiting for {}); dropped the oldest ({} events)", limit,
               target_, victim->batch.size());
    queue_.erase(victim);
  }
}

void Notifier::schedule() {
  std::optional<Clock::time_point> at = batcher_.due();
  if (!in_flight_ && !queue_.empty() && url_) {
    const auto send_at = limit_.next_send_at();
    at = at ? std::min(*at, send_at) : send_at;
  }
  if (at == armed_for_) return;
  armed_for_ = at;
  timer_.cancel();
  if (!at) return;
  timer_.expires_at(*at);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    armed_for_.reset();
    wake();
  });
}

void Notifier::wake() {
  const auto now = Clock::now();
  if (const auto due = batcher_.due(); due && *due <= now) enqueue(batcher_.take());
  if (!in_flight_ && !queue_.empty() && url_ && limit_.may_send(now)) send_front();
  schedule();
}

void Notifier::send_front() {
  Pending& p = queue_.front();
  ++p.attempts;
  p.dropped_said = dropped_unsaid_;
  HttpRequest req;
  req.method = "POST";
  req.url = *url_;
  req.authorization = authorization_;
  req.user_agent = GatewayBotFetcher::user_agent();
  req.content_type = "application/json";
  req.body = message_json(format_batch(p.batch, bot_, p.dropped_said));
  req.ca_file = config_->ca_file;
  req.timeout = request_timeout;
  in_flight_ = true;
  async_http_request(io_, std::move(req), [this, alive = std::weak_ptr<int>(alive_)](HttpAnswer answer) {
    if (alive.expired()) return;
    on_answer(answer);
  });
}

void Notifier::on_answer(const HttpAnswer& answer) {
  in_flight_ = false;
  if (queue_.empty()) return;  // cannot happen: the front stays while in flight
  Pending& p = queue_.front();
  RestReply reply;
  reply.status = answer.status;
  reply.body = answer.body;
  reply.retry_after = answer.header("retry-after");
  reply.remaining = answer.header("x-ratelimit-remaining");
  reply.reset_after = answer.header("x-ratelimit-reset-after");
  reply.global = answer.header("x-ratelimit-global");
  const SendVerdict v = limit_.on_reply(reply, p.attempts, p.rate_limited, Clock::now());
  // Transport errors name a host and a step, never the request's headers or its URL path.
  const std::string why = answer.status == 0 ? fmt::format("{}: {}", v.reason, answer.error) : v.reason;
  switch (v.outcome) {
    case SendOutcome::delivered:
      ++figures_.messages_sent;
      figures_.notices_sent += p.batch.size();
      dropped_unsaid_ -= std::min(dropped_unsaid_, p.dropped_said);
      log_->info("notifications: sent {} event{} to {}", p.batch.size(), p.batch.size() == 1 ? "" : "s", target_);
      queue_.pop_front();
      break;
    case SendOutcome::retry:
      if (answer.status == 429) {
        ++p.rate_limited;
        ++figures_.rate_limited;
      }
      log_->warn("notifications: {}: {}; trying again in {} ms", target_, why, v.wait.count());
      break;
    case SendOutcome::give_up:
      if (answer.status == 429) ++figures_.rate_limited;
      ++figures_.messages_failed;
      log_->error("notifications: {}: {}; dropped a message of {} events", target_, why, p.batch.size());
      queue_.pop_front();
      break;
  }
  schedule();
}

}  // namespace megane::daemon
