#include "gateway/gateway_service.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <megane/proto/gateway_messages.hpp>

namespace megane::daemon {

using proto::ErrorCode;
using proto::MessageType;

namespace {

// How often a failed budget refresh is tried again (each try itself retries for 30 s).
constexpr std::chrono::seconds refresh_retry{60};
constexpr std::chrono::seconds refresh_give_up{30};

bool owns(const Child& cluster, std::uint32_t shard) {
  return shard >= cluster.plan.first_shard && shard - cluster.plan.first_shard < cluster.plan.shard_count;
}

std::string not_owned(const Child& cluster, std::uint32_t shard) {
  return fmt::format("shard {} is not in {}'s range ({}-{})", shard, cluster.label, cluster.plan.first_shard,
                     cluster.plan.last_shard());
}

IdentifyQueue make_queue(const GatewayConfig& config, const GatewayBotInfo& info, std::uint32_t total_shards) {
  const std::uint32_t concurrency = config.max_concurrency.value_or(info.max_concurrency);
  const std::uint32_t reserve = config.identify_reserve.value_or(default_identify_reserve(total_shards, info.session_total));
  // 2.5 % of the window as a margin: absorbs uneven delivery of IDENTIFYs (op 9 "too early"
  // costs 1-5 s) and still keeps start-up well within 5 % of the identify bound.
  IdentifyQueue queue(concurrency, config.identify_window, reserve, config.identify_window / 40);
  queue.set_budget(info.session_remaining, info.reset_after, IdentifyQueue::Clock::now());
  return queue;
}

}  // namespace

GatewayService::GatewayService(boost::asio::io_context& io, const GatewayConfig& config, const BotToken& token,
                               GatewayBotFetcher& fetcher, const GatewayBotInfo& info, std::uint32_t total_shards,
                               std::shared_ptr<spdlog::logger> log)
    : config_(config),
      token_(token),
      fetcher_(fetcher),
      log_(log),
      total_shards_(total_shards),
      recommended_shards_(info.shards),
      session_total_(info.session_total),
      authority_(io, make_queue(config, info, total_shards), log),
      shards_(total_shards),
      refresh_timer_(io) {
  const auto& q = authority_.queue();
  log_->info("identify: max_concurrency {} ({}), one IDENTIFY per bucket per {} ms, {} of {} left today, reserve {}",
             q.max_concurrency(), config_.max_concurrency ? "from the config" : "from /gateway/bot",
             config_.identify_window.count(), q.remaining(), session_total_, q.reserve());
  schedule_refresh(info.reset_after);
}

void GatewayService::stop() {
  authority_.stop();
  refresh_timer_.cancel();
  fetcher_.cancel();
}

void GatewayService::schedule_refresh(std::chrono::milliseconds after) {
  // A second late, so Discord has reset the count when we ask.
  const auto wait = after + std::chrono::seconds(1);
  budget_resets_at_ = std::chrono::steady_clock::now() + after;
  refresh_timer_.expires_after(wait);
  refresh_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    fetcher_.fetch(refresh_give_up, [this](FetchResult result) {
      if (auto* info = std::get_if<GatewayBotInfo>(&result)) {
        log_->info("identify budget refreshed: {} of {} left, resets in {} s", info->session_remaining,
                   info->session_total, info->reset_after.count() / 1000);
        session_total_ = info->session_total;
        authority_.set_budget(info->session_remaining, info->reset_after);
        schedule_refresh(info->reset_after);
        return;
      }
      const auto& failure = std::get<FetchFailure>(result);
      if (failure.token_rejected) log_->error("identify budget refresh: {}; shards cannot identify", failure.message);
      else log_->warn("identify budget refresh failed: {}; trying again in {} s", failure.message, refresh_retry.count());
      schedule_refresh(std::chrono::duration_cast<std::chrono::milliseconds>(refresh_retry) - std::chrono::seconds(1));
    });
  });
}

void GatewayService::handle(Connection& conn, const proto::FrameView& frame, const Child& cluster) {
  const auto& h = frame.header;
  // Notifications may come without a request id; then a problem can only be logged.
  auto refuse = [&](ErrorCode code, const std::string& message) {
    if (h.request_id != 0) conn.reply_error(h.request_id, code, message);
    else log_->warn("{}: {}: {}", cluster.label, proto::to_string(h.type), message);
  };
  auto acknowledge = [&] {
    if (h.request_id != 0) conn.reply(h.type, h.request_id, {});
  };
  const auto malformed = [&] { refuse(ErrorCode::malformed, fmt::format("malformed {}", proto::to_string(h.type))); };

  if (h.type == MessageType::gateway_config) {
    send_config(conn, h.request_id, cluster);
  } else if (h.type == MessageType::identify_permit) {
    proto::IdentifyPermitRequest req;
    if (!proto::decode(frame.payload, req)) return malformed();
    if (h.request_id == 0) return refuse(ErrorCode::malformed, "identify_permit needs a request id (the permit is its reply)");
    if (!owns(cluster, req.shard_id)) return refuse(ErrorCode::not_allowed, not_owned(cluster, req.shard_id));
    authority_.request(conn, h.request_id, req.shard_id, conn.generation);
  } else if (h.type == MessageType::identify_done) {
    proto::IdentifyDone done;
    if (!proto::decode(frame.payload, done)) return malformed();
    switch (authority_.done(done.ticket, done.sent, conn.generation)) {
      case IdentifyAuthority::DoneResult::ok: return acknowledge();
      case IdentifyAuthority::DoneResult::unknown_ticket:
        return refuse(ErrorCode::not_found, fmt::format("no identify permit {} is held (done already, or revoked)", done.ticket));
      case IdentifyAuthority::DoneResult::wrong_owner:
        return refuse(ErrorCode::not_allowed, fmt::format("identify permit {} belongs to another process", done.ticket));
    }
  } else if (h.type == MessageType::session_update) {
    proto::SessionInfo info;
    if (!proto::decode(frame.payload, info)) return malformed();
    if (!owns(cluster, info.shard_id)) return refuse(ErrorCode::not_allowed, not_owned(cluster, info.shard_id));
    // The session id is half of a RESUME credential: not logged.
    log_->debug("{} shard {}: session {} (seq {})", cluster.label, info.shard_id,
                info.session_id.empty() ? "cleared" : "stored", info.seq);
    sessions_.update(info);
    acknowledge();
  } else if (h.type == MessageType::shard_status) {
    shard_status(conn, frame, cluster);
  } else {
    refuse(ErrorCode::unknown_message, fmt::format("{} is not a gateway message", proto::to_string(h.type)));
  }
}

void GatewayService::send_config(Connection& conn, std::uint32_t request_id, const Child& cluster) {
  if (request_id == 0) return;  // nobody to answer
  proto::GatewayConfig reply;
  reply.token = token_.reveal();
  reply.gateway_url = config_.gateway_url;
  reply.api_url = config_.api_url;
  reply.intents = config_.intents;
  reply.presence_json = config_.presence_json;
  reply.total_shards = total_shards_;
  reply.max_concurrency = authority_.queue().max_concurrency();
  reply.large_threshold = config_.large_threshold;
  reply.sessions = sessions_.range(cluster.plan.first_shard, cluster.plan.shard_count);
  log_->info("{}: gateway config sent ({} of {} shards have a session to resume)", cluster.label, reply.sessions.size(),
             cluster.plan.shard_count);
  const auto payload = proto::encode(reply);
  conn.reply(MessageType::gateway_config, request_id, payload);
}

void GatewayService::shard_status(Connection& conn, const proto::FrameView& frame, const Child& cluster) {
  const auto& h = frame.header;
  proto::ShardStatus st;
  if (!proto::decode(frame.payload, st)) {
    if (h.request_id != 0) conn.reply_error(h.request_id, ErrorCode::malformed, "malformed shard_status");
    return;
  }
  if (!owns(cluster, st.shard_id)) {
    if (h.request_id != 0) conn.reply_error(h.request_id, ErrorCode::not_allowed, not_owned(cluster, st.shard_id));
    else log_->warn("{}: shard_status: {}", cluster.label, not_owned(cluster, st.shard_id));
    return;
  }
  if (h.request_id != 0) conn.reply(MessageType::shard_status, h.request_id, {});
  if (!shards_.update(st)) return;  // latency or guild count only: status shows it, no event

  const std::string_view state = proto::to_string(st.state);
  const std::string detail = st.detail.empty() ? "" : ": " + st.detail;
  if (st.state == proto::ShardState::fatal) {
    // The SDK reports fatal just before exiting with the do-not-restart code: this line is
    // the operator's answer to "why did that cluster give up".
    log_->error("{} shard {}: fatal{}", cluster.label, st.shard_id, detail);
  } else if (st.state == proto::ShardState::ready) {
    log_->info("{} shard {}: ready ({} guilds, {} ms){}", cluster.label, st.shard_id, st.guilds, st.latency_ms, detail);
  } else {
    log_->info("{} shard {}: {}{}", cluster.label, st.shard_id, state, detail);
  }
  if (!on_event) return;
  JsonWriter w;
  w.begin_object().field("type", proto::to_string(proto::EventKind::shard));
  w.field("cluster", cluster.plan.id).field("shard", st.shard_id).field("state", state);
  w.field("latency_ms", st.latency_ms).field("guilds", st.guilds).field("detail", st.detail);
  w.field("generation", conn.generation).end_object();
  on_event(proto::EventKind::shard, w.take());
}

void GatewayService::connection_closed(const Child& cluster, std::uint64_t generation) {
  authority_.owner_gone(generation, cluster.label);
}

void GatewayService::process_exited(const Child& cluster, std::uint64_t generation) {
  authority_.owner_gone(generation, cluster.label);
  shards_.forget_range(cluster.plan.first_shard, cluster.plan.shard_count);
}

void GatewayService::write_status(JsonWriter& w) const {
  const IdentifyQueue& q = authority_.queue();
  const auto now = IdentifyQueue::Clock::now();
  w.begin_object();
  w.field("shards", total_shards_);
  w.field("recommended_shards", recommended_shards_);
  w.field("max_concurrency", q.max_concurrency());
  w.field("identify_window_ms", static_cast<std::uint64_t>(config_.identify_window.count()));
  w.field("gateway_url", config_.gateway_url);
  w.field("api_url", config_.api_url);
  w.field("sessions", static_cast<std::uint64_t>(sessions_.size()));
  w.key("identify").begin_object();
  w.field("remaining", q.remaining());
  w.field("total", session_total_);
  w.field("reserve", q.reserve());
  w.field("in_flight", q.in_flight());
  w.field("waiting", static_cast<std::uint64_t>(q.waiting()));
  const std::string blocked = q.blocked_reason(now);
  w.key("blocked_reason");
  if (blocked.empty()) w.null();
  else w.value(blocked);
  w.field("resets_in_s", std::max(0.0, std::chrono::duration<double>(budget_resets_at_ - now).count()));
  w.end_object();
  w.end_object();
}

void GatewayService::write_shards(JsonWriter& w, const ClusterPlan& plan) const {
  w.begin_array();
  for (std::uint32_t s = plan.first_shard; s < plan.first_shard + plan.shard_count && s < shards_.total(); ++s) {
    const ShardView& v = shards_.at(s);
    w.begin_object().field("id", s).field("state", v.state_name()).field("latency_ms", v.latency_ms);
    w.field("guilds", v.guilds).field("detail", v.detail).end_object();
  }
  w.end_array();
}

}  // namespace megane::daemon
