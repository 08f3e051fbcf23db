#include "store_service.hpp"

#include <chrono>

#include <fmt/format.h>
#include <megane/proto/messages.hpp>
#include <megane/proto/store_messages.hpp>

namespace megane::daemon {

using proto::ErrorCode;
using proto::MessageType;

namespace {

UnixMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

FsyncPolicy to_policy(FsyncMode mode) {
  switch (mode) {
    case FsyncMode::always: return FsyncPolicy::always;
    case FsyncMode::everysec: return FsyncPolicy::everysec;
    case FsyncMode::no: return FsyncPolicy::no;
  }
  return FsyncPolicy::everysec;
}

std::int64_t ttl(std::uint64_t ms) { return static_cast<std::int64_t>(std::min<std::uint64_t>(ms, INT64_MAX)); }

}  // namespace

StoreService::StoreService(boost::asio::io_context& io, const StoreConfig& config,
                           std::shared_ptr<spdlog::logger> log)
    : io_(io), config_(config), log_(std::move(log)) {}

StoreService::~StoreService() { stop(); }

bool StoreService::open(std::string& error) {
  if (!config_.persistence) {
    store_.set_recording(false);  // no log: nothing needs the effects of writes
    log_->info("store: in memory only (store.persistence = false)");
    return true;
  }
  std::error_code ec;
  std::filesystem::create_directories(config_.path.parent_path(), ec);
  append_log_ = std::make_unique<AppendLog>(io_, config_.path.string(), to_policy(config_.fsync));
  const LogLoadResult r = append_log_->load(store_);
  if (!r.ok) {
    error = r.error;
    append_log_.reset();
    return false;
  }
  if (!r.warning.empty()) log_->warn("{}", r.warning);
  log_->info("store: {} keys from {} ({} records, {} bytes, fsync {})", store_.size(), config_.path.string(),
             r.records, r.size,
             config_.fsync == FsyncMode::always ? "always" : config_.fsync == FsyncMode::everysec ? "everysec" : "no");
  return true;
}

void StoreService::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (append_log_) {
    if (auto ec = append_log_->stop()) log_->error("store: closing the log: {}", ec.message());
  }
}

void StoreService::tick() {
  const UnixMs now = now_ms();
  store_.expire_some(now, 1000);
  if (!append_log_ || stopped_ || append_log_->rewrite_running() || append_log_->failed()) return;
  RewritePolicy policy{config_.rewrite_min_bytes, config_.rewrite_growth_percent};
  if (!append_log_->rewrite_due(policy)) return;
  const auto before = append_log_->size_bytes();
  log_->info("store: compacting the log ({} bytes)", before);
  append_log_->rewrite(store_, [this, before](std::error_code ec) {
    if (ec) log_->warn("store: log rewrite failed ({}); the old log stays in use", ec.message());
    else log_->info("store: log compacted from {} to {} bytes", before, append_log_->size_bytes());
  });
}

bool StoreService::refuse_if_failed(Connection& conn, std::uint32_t request_id) {
  if (stopped_) {
    conn.reply_error(request_id, ErrorCode::persistence, "the store is closed (meganed is stopping)");
    return true;
  }
  if (append_log_ && append_log_->failed()) {
    conn.reply_error(request_id, ErrorCode::persistence,
                     fmt::format("the store log failed ({}); writes are refused until meganed restarts",
                                 append_log_->failed().message()));
    return true;
  }
  return false;
}

void StoreService::persist_then_reply(Connection& conn, std::uint32_t request_id, MessageType type,
                                      const LogRecord& record, proto::Bytes payload) {
  // Completions run in log order: once this one runs, every write up to `seq` is durable.
  const std::uint64_t seq = append_log_->next_seq();
  const bool queued = append_log_->append(
      record, [this, seq, key = record.key, weak = conn.weak_from_this(), request_id, type,
               payload = std::move(payload)](std::error_code ec) {
        if (ec) {
          // Not durable: the key stays marked, so a GET of it reports the failure too.
        } else if (auto it = unsynced_.find(key); it != unsynced_.end() && it->second <= seq) {
          unsynced_.erase(it);
        }
        auto c = weak.lock();
        if (!c || !c->open()) return;
        if (ec) {
          c->reply_error(request_id, ErrorCode::persistence,
                         fmt::format("the write could not be made durable: {}", ec.message()));
          return;
        }
        c->reply(type, request_id, payload);
      }) != 0;
  if (queued) unsynced_.insert_or_assign(record.key, seq);
}

void StoreService::reply_get(Connection& conn, std::uint32_t request_id, std::string_view key, UnixMs now) {
  const auto value = store_.get(key, now);
  const bool wait = !unsynced_.empty() && unsynced_.contains(key);
  if (!wait) {
    conn.reply_with(MessageType::store_get, request_id,
                    [&](proto::Writer& w) { proto::encode_store_value(w, value.has_value(), value.value_or("")); });
    return;
  }
  proto::Writer w;
  proto::encode_store_value(w, value.has_value(), value.value_or(""));
  append_log_->after_appended([weak = conn.weak_from_this(), request_id, payload = w.take()](std::error_code ec) {
    auto c = weak.lock();
    if (!c || !c->open()) return;
    if (ec) {
      c->reply_error(request_id, ErrorCode::persistence,
                     fmt::format("the value read was not made durable: {}", ec.message()));
      return;
    }
    c->reply(MessageType::store_get, request_id, payload);
  });
}

void StoreService::handle(Connection& conn, const proto::FrameView& frame) {
  const auto type = frame.header.type;
  const auto rid = frame.header.request_id;
  const UnixMs now = now_ms();
  // Requests are decoded as views into the frame and replies encoded straight into the
  // connection's output buffer: a GET or SET without a log allocates nothing here.
  auto malformed = [&] { conn.reply_error(rid, ErrorCode::malformed, fmt::format("malformed {}", proto::to_string(type))); };
  auto applied = [](bool a) { return [a](proto::Writer& w) { proto::encode_store_applied(w, a); }; };
  if (type == MessageType::store_get) {
    proto::StoreKeyView req;
    if (!proto::decode(frame.payload, req)) return malformed();
    reply_get(conn, rid, req.key, now);
    return;
  }
  if (type == MessageType::store_keys) {
    proto::StoreKeys req;
    if (!proto::decode(frame.payload, req)) return malformed();
    auto page = store_.keys(req.prefix, req.cursor, req.count, now);
    conn.reply(type, rid, proto::encode(proto::StoreKeyPage{std::move(page.keys), std::move(page.next_cursor)}));
    return;
  }
  if (type == MessageType::store_set) {
    proto::StoreSetView req;
    if (!proto::decode(frame.payload, req)) return malformed();
    if (refuse_if_failed(conn, rid)) return;
    auto r = store_.set(req.key, req.value, now, ttl(req.ttl_ms), static_cast<SetCondition>(req.condition));
    reply_after_persist(conn, rid, type, r.record, applied(r.applied));
    return;
  }
  if (type == MessageType::store_delete) {
    proto::StoreKeyView req;
    if (!proto::decode(frame.payload, req)) return malformed();
    if (refuse_if_failed(conn, rid)) return;
    auto r = store_.del(req.key, now);
    reply_after_persist(conn, rid, type, r.record, applied(r.applied));
    return;
  }
  if (type == MessageType::store_increment) {
    proto::StoreIncrementView req;
    if (!proto::decode(frame.payload, req)) return malformed();
    if (refuse_if_failed(conn, rid)) return;
    auto r = store_.increment(req.key, req.delta, now);
    if (r.error == IncrementError::not_integer) {
      conn.reply_error(rid, ErrorCode::malformed, fmt::format("the value of '{}' is not an integer", req.key));
      return;
    }
    if (r.error == IncrementError::overflow) {
      conn.reply_error(rid, ErrorCode::malformed, fmt::format("incrementing '{}' would overflow", req.key));
      return;
    }
    reply_after_persist(conn, rid, type, r.record,
                        [v = r.value](proto::Writer& w) { proto::encode_store_integer(w, v); });
    return;
  }
  if (type == MessageType::store_compare_and_set) {
    proto::StoreCompareAndSetView req;
    if (!proto::decode(frame.payload, req)) return malformed();
    if (refuse_if_failed(conn, rid)) return;
    auto r = store_.compare_and_set(req.key, req.expected, req.value, ttl(req.ttl_ms), now);
    reply_after_persist(conn, rid, type, r.record, applied(r.applied));
    return;
  }
  if (type == MessageType::store_expire) {
    proto::StoreExpireView req;
    if (!proto::decode(frame.payload, req)) return malformed();
    if (refuse_if_failed(conn, rid)) return;
    auto r = store_.expire(req.key, ttl(req.ttl_ms), now);
    reply_after_persist(conn, rid, type, r.record, applied(r.applied));
    return;
  }
  conn.reply_error(rid, ErrorCode::unknown_message, "not a store message");
}

}  // namespace megane::daemon
