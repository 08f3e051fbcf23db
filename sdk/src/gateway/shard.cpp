#include "shard.hpp"

#include <charconv>
#include <exception>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/logger.h>

#include "payloads.hpp"

namespace megane::gateway {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using proto::ShardState;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The operands of `a || b || c` are cancelled once one finishes; they must notice and leave.
asio::awaitable<bool> cancelled() {
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

// An optional field: absent or of another type leaves `out` as it was.
template <class T>
void read_field(simdjson::simdjson_result<T> value, T& out) {
  if (value.error() == simdjson::SUCCESS) out = value.value_unsafe();
}

std::optional<std::uint64_t> snowflake(simdjson::dom::element value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  std::uint64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return id;
}

}  // namespace

Shard::Shard(asio::any_io_executor executor, std::uint32_t id, const ShardSettings& settings,
             ShardAuthority& authority, ShardCallbacks callbacks, std::shared_ptr<spdlog::logger> logger)
    : executor_(executor),
      id_(id),
      settings_(settings),
      authority_(authority),
      callbacks_(std::move(callbacks)),
      logger_(std::move(logger)),
      transport_(make_ws_transport(executor)),
      random_(std::random_device{}() ^ id),
      wake_writer_(executor),
      delay_(executor) {
  status_.shard_id = id;
  status_.state = ShardState::connecting;
}

Shard::~Shard() = default;

void Shard::adopt_session(const proto::SessionInfo& session) {
  if (session.session_id.empty()) return;
  session_id_ = session.session_id;
  seq_ = session.seq;
  resume_url_ = session.resume_gateway_url;
}

void Shard::stop() {
  if (stopping_) return;
  stopping_ = true;
  closing_ = true;
  wake_writer_.cancel();
  delay_.cancel();
  if (waiting_permit_) permit_cancel_.emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> Shard::run() {
  while (!stopping_) {
    Ending ending;
    try {
      ending = co_await connection();
    } catch (const std::exception& e) {  // a bug, not a state: log it and reconnect
      logger_->error("shard {}: {}", id_, e.what());
      transport_->abort();
      ending = Ending{AfterClose::resume, 0, e.what(), false};
    }
    if (stopping_) break;
    if (ending.action == AfterClose::fatal) {
      fatal_reason_ = ending.why;
      forget_session();
      logger_->error("shard {}: {}: Discord says not to reconnect", id_, ending.why);
      set_state(ShardState::fatal, ending.why);
      co_return;
    }
    if (ending.action == AfterClose::identify) forget_session();
    if (!ready_this_connection_) ++failures_;
    ++counters_.reconnects;
    const auto wait = reconnect_delay(ending);
    const std::string next = has_session() ? "resuming" : "identifying";
    logger_->info("shard {}: {}; {} in {} ms", id_, ending.why, next, wait.count());
    set_state(ShardState::disconnected, fmt::format("{}; {}", ending.why, next));
    if (wait.count() > 0) {
      delay_.expires_after(wait);
      co_await delay_.async_wait(use_tuple);
    }
  }
  report_session();  // the final seq: the next process resumes from exactly here
  set_state(ShardState::disconnected, "stopped");
}

std::chrono::milliseconds Shard::reconnect_delay(const Ending& ending) {
  if (ending.action == AfterClose::identify && ending.code == 0) {
    // Opcode 9: Discord asks for a random wait of 1-5 s before the next IDENTIFY.
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 5000)(random_));
  }
  if (failures_ == 0) {
    if (ending.at_once) return 0ms;
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 250)(random_));
  }
  // Connections that keep failing back off: 1, 2, 4 ... 60 s, with jitter so a whole cluster
  // does not reconnect in lockstep.
  const auto exponent = std::min<std::uint32_t>(failures_ - 1, 6);
  const int base = std::min(1000 << exponent, 60'000);
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(base / 2, base)(random_));
}

asio::awaitable<Shard::Ending> Shard::connection() {
  ready_this_connection_ = false;
  const bool resuming = has_session();
  Permit permit;
  if (!resuming) {
    set_state(ShardState::identifying, "waiting for an identify permit");
    waiting_permit_ = true;
    permit = co_await asio::co_spawn(executor_, authority_.acquire_identify(id_),
                                     asio::bind_cancellation_slot(permit_cancel_.slot(), asio::use_awaitable));
    waiting_permit_ = false;
    if (stopping_) {
      if (permit.granted) authority_.identify_done(permit.ticket, false);
      co_return Ending{AfterClose::resume, 0, "stopped", true};
    }
    if (!permit.granted) {
      co_return Ending{AfterClose::identify, 1, fmt::format("no identify permit: {}", permit.error), false};
    }
  } else {
    set_state(ShardState::resuming, "");
  }

  const bool use_resume_url = resuming && !resume_url_.empty() &&
                              resume_url_failures_ < settings_.resume_url_attempts;
  Url url = settings_.gateway;
  if (use_resume_url) {
    if (auto parsed = parse_url(resume_url_)) {
      url = std::move(*parsed);
    } else {
      logger_->warn("shard {}: unusable resume_gateway_url; using the base URL", id_);
    }
  }
  url = with_gateway_query(std::move(url), settings_.zlib_stream);
  inflater_.reset();
  limiter_.reset();
  outbox_.clear();
  awaiting_ack_ = false;
  const auto ec = co_await transport_->connect(url, settings_.user_agent, settings_.connect_timeout);
  if (ec) {
    if (permit.granted) authority_.identify_done(permit.ticket, false);
    if (use_resume_url) ++resume_url_failures_;
    co_return Ending{AfterClose::resume, 0,
                     fmt::format("cannot connect to {}: {}", host_header(url), ec.message()), false};
  }
  std::optional<Ending> hello_failed = co_await read_hello();
  if (hello_failed || stopping_) {
    if (permit.granted) authority_.identify_done(permit.ticket, false);
    if (use_resume_url) ++resume_url_failures_;
    transport_->abort();
    co_return hello_failed ? std::move(*hello_failed) : Ending{AfterClose::resume, 0, "stopped", true};
  }
  limiter_.reserve_for_heartbeats(heartbeat_interval_);

  std::string login;
  if (resuming) {
    login = resume_payload(settings_.token, session_id_, seq_.value_or(0));
  } else {
    IdentifyFields fields;
    fields.token = settings_.token;
    fields.shard_id = id_;
    fields.total_shards = settings_.total_shards;
    fields.intents = settings_.intents;
    fields.large_threshold = settings_.large_threshold;
    fields.presence_json = settings_.presence_json;
    login = identify_payload(fields);
  }
  limiter_.record(Clock::now());
  const auto wec = co_await transport_->write(login);
  if (!resuming) {
    authority_.identify_done(permit.ticket, !wec);
    if (!wec) ++counters_.identifies;
  } else if (!wec) {
    ++counters_.resumes;
  }
  if (wec) {
    transport_->abort();
    co_return Ending{AfterClose::resume, 0, fmt::format("cannot send {}: {}", resuming ? "RESUME" : "IDENTIFY", wec.message()), false};
  }
  closing_ = stopping_;

  using namespace asio::experimental::awaitable_operators;
  Ending ending;
  try {
    auto first = co_await (read_loop() || heartbeat_loop() || write_loop() || silence_loop());
    ending = std::visit([](Ending& e) { return std::move(e); }, first);
  } catch (const std::exception& e) {
    ending = Ending{AfterClose::resume, 0, e.what(), false};
  }
  transport_->abort();  // whichever loop ended first, this connection is over
  co_return ending;
}

asio::awaitable<std::optional<Shard::Ending>> Shard::read_hello() {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(executor_);
  deadline.expires_after(settings_.hello_timeout);
  std::string_view message;
  for (;;) {
    auto outcome = co_await (transport_->read(message) || deadline.async_wait(use_tuple));
    if (outcome.index() == 1) {
      co_return Ending{AfterClose::resume, 0,
                       fmt::format("no HELLO within {} ms", settings_.hello_timeout.count()), false};
    }
    const auto ec = std::get<0>(outcome);
    if (ec) co_return ending_from_read_error(ec);
    std::string_view json;
    std::optional<Ending> broken;
    if (!next_payload(message, json, broken)) {
      if (broken) co_return std::move(*broken);
      continue;
    }
    simdjson::dom::element doc;
    std::int64_t op = -1;
    std::uint64_t interval = 0;
    if (parser_.parse(json.data(), json.size(), !settings_.zlib_stream).get(doc) != simdjson::SUCCESS ||
        doc["op"].get_int64().get(op) != simdjson::SUCCESS || op != 10 ||
        doc["d"]["heartbeat_interval"].get_uint64().get(interval) != simdjson::SUCCESS || interval == 0) {
      co_return Ending{AfterClose::resume, 0, "the first payload was not a HELLO", false};
    }
    heartbeat_interval_ = std::chrono::milliseconds(interval);
    last_heard_ = Clock::now();
    co_return std::nullopt;
  }
}

Shard::Ending Shard::ending_from_read_error(const boost::system::error_code& ec) const {
  const PeerClose close = transport_->peer_close();
  if (close.code != 0) {
    const CloseClass c = classify_close(close.code);
    std::string why = fmt::format("closed {} ({})", close.code, c.meaning);
    if (!close.reason.empty()) why += fmt::format(": {}", close.reason);
    return Ending{c.action, close.code, std::move(why), false};
  }
  return Ending{AfterClose::resume, 0, fmt::format("connection lost: {}", ec.message()), false};
}

asio::awaitable<Shard::Ending> Shard::read_loop() {
  co_await asio::this_coro::throw_if_cancelled(false);
  std::string_view message;
  for (;;) {
    const auto ec = co_await transport_->read(message);
    if (ec) {
      const bool gone = co_await cancelled();
      if (gone) co_return Ending{};
      co_return ending_from_read_error(ec);
    }
    std::string_view json;
    std::optional<Ending> broken;
    if (!next_payload(message, json, broken)) {
      if (broken) co_return std::move(*broken);
      continue;
    }
    if (auto ending = handle_payload(json)) co_return std::move(*ending);
  }
}

bool Shard::next_payload(std::string_view message, std::string_view& json, std::optional<Ending>& broken) {
  if (!settings_.zlib_stream) {
    // An empty message's view may carry a null pointer, which simdjson's copy would hand to
    // memcpy; "" parses to the same EMPTY error.
    json = message.empty() ? std::string_view("") : message;
    return true;
  }
  switch (inflater_.feed(message)) {
    case ZlibStreamInflater::Result::payload:
      json = inflater_.payload();
      return true;
    case ZlibStreamInflater::Result::need_more:
      return false;
    case ZlibStreamInflater::Result::error:
      broken = Ending{AfterClose::resume, 0, fmt::format("zlib-stream: {}", inflater_.error()), false};
      return false;
  }
  return false;
}

std::optional<Shard::Ending> Shard::handle_payload(std::string_view json) {
  last_heard_ = Clock::now();
  simdjson::dom::element doc;
  // zlib output is padded for simdjson; plain WebSocket buffers are not, so those are copied.
  if (const auto err = parser_.parse(json.data(), json.size(), !settings_.zlib_stream).get(doc); err) {
    return Ending{AfterClose::resume, 0, fmt::format("undecodable payload: {}", simdjson::error_message(err)), false};
  }
  std::int64_t op = -1;
  if (doc["op"].get_int64().get(op) != simdjson::SUCCESS) {
    return Ending{AfterClose::resume, 0, "a payload without an integer op", false};
  }
  switch (op) {
    case 0: {
      std::uint64_t seq = 0;
      if (doc["s"].get_uint64().get(seq) == simdjson::SUCCESS) seq_ = seq;
      std::string_view name;
      read_field(doc["t"].get_string(), name);
      return handle_dispatch(doc, seq, name);
    }
    case 1:  // the server wants a beat now
      queue(heartbeat_payload(seq_), true);
      return std::nullopt;
    case 7:
      return Ending{AfterClose::resume, 0, "the gateway asked to reconnect (op 7)", true};
    case 9: {
      bool resumable = false;
      read_field(doc["d"].get_bool(), resumable);
      const CloseClass c = classify_invalid_session(resumable);
      return Ending{c.action, 0, std::string(c.meaning), false};
    }
    case 11: {
      awaiting_ack_ = false;
      const auto rtt = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - beat_sent_at_);
      status_.latency_ms = static_cast<std::uint32_t>(std::max<std::int64_t>(rtt.count(), 1));
      return std::nullopt;
    }
    default:
      logger_->debug("shard {}: ignoring op {}", id_, op);
      return std::nullopt;
  }
}

std::optional<Shard::Ending> Shard::handle_dispatch(simdjson::dom::element doc, std::uint64_t seq,
                                                    std::string_view name) {
  simdjson::dom::element data;
  if (doc["d"].get(data) != simdjson::SUCCESS) data = doc;
  ++counters_.dispatches;
  if (name == "READY") {
    std::string_view session, resume_url;
    read_field(data["session_id"].get_string(), session);
    read_field(data["resume_gateway_url"].get_string(), resume_url);
    session_id_ = std::string(session);
    resume_url_ = std::string(resume_url);
    resume_url_failures_ = 0;
    guilds_.clear();
    simdjson::dom::array guilds;
    if (data["guilds"].get_array().get(guilds) == simdjson::SUCCESS) {
      for (simdjson::dom::element g : guilds) {
        if (auto gid = snowflake(g["id"])) guilds_.insert(*gid);
      }
    }
    on_ready("");
  } else if (name == "RESUMED") {
    on_ready("resumed");
  } else if (name == "GUILD_CREATE") {
    if (auto gid = snowflake(data["id"])) guilds_.insert(*gid);
  } else if (name == "GUILD_DELETE") {
    bool unavailable = false;
    read_field(data["unavailable"].get_bool(), unavailable);
    if (!unavailable) {
      if (auto gid = snowflake(data["id"])) guilds_.erase(*gid);
    }
  }
  if (callbacks_.dispatch) {
    try {
      callbacks_.dispatch(id_, name, seq, data);
    } catch (const std::exception& e) {
      logger_->error("shard {}: {} handler threw: {}", id_, name, e.what());
    }
  }
  return std::nullopt;
}

void Shard::on_ready(std::string_view detail) {
  ready_this_connection_ = true;
  failures_ = 0;
  status_.guilds = static_cast<std::uint32_t>(guilds_.size());
  report_session();
  set_state(ShardState::ready, std::string(detail));
}

asio::awaitable<Shard::Ending> Shard::heartbeat_loop() {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(executor_);
  // Discord: the first beat after interval * jitter, so reconnecting shards spread out.
  const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(heartbeat_interval_ * jitter);
  for (;;) {
    timer.expires_after(delay);
    co_await timer.async_wait(use_tuple);
    const bool gone = co_await cancelled();
    if (gone) co_return Ending{};
    if (awaiting_ack_) {
      co_return Ending{AfterClose::resume, 0, "no heartbeat ACK since the last beat (zombie connection)", false};
    }
    awaiting_ack_ = true;
    beat_sent_at_ = Clock::now();
    queue(heartbeat_payload(seq_), true);
    // Keep meganed's copy of the seq fresh: a crash then replays only the last interval.
    if (status_.state == ShardState::ready) {
      status_.guilds = static_cast<std::uint32_t>(guilds_.size());
      report_session();
      authority_.status_changed(status_);
    }
    delay = heartbeat_interval_;
  }
}

asio::awaitable<Shard::Ending> Shard::silence_loop() {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto limit = settings_.silence_timeout;
  asio::steady_timer timer(executor_);
  for (;;) {
    // Separate from the zombie check: that one needs a whole heartbeat interval (41 s on
    // Discord) to notice, and only looks at ACKs.
    timer.expires_at(limit.count() > 0 ? last_heard_ + limit : Clock::time_point::max());
    co_await timer.async_wait(use_tuple);
    const bool gone = co_await cancelled();
    if (gone) co_return Ending{};
    const auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_heard_);
    if (limit.count() > 0 && quiet >= limit) {
      ++counters_.silences;
      co_return Ending{AfterClose::resume, 0,
                       fmt::format("silent for {} ms (no dispatch, no heartbeat ACK; shard_silence_timeout {} ms)",
                                   quiet.count(), limit.count()),
                       true};
    }
  }
}

asio::awaitable<Shard::Ending> Shard::write_loop() {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer pace(executor_);
  for (;;) {
    if (closing_) {
      co_await transport_->close(resumable_close_code, "megane: stopping, will resume", settings_.close_timeout);
      co_return Ending{AfterClose::resume, resumable_close_code, "stopped", true};
    }
    if (outbox_.empty()) {
      wake_writer_.expires_at(Clock::time_point::max());
      co_await wake_writer_.async_wait(use_tuple);
      const bool gone = co_await cancelled();
      if (gone) co_return Ending{};
      continue;
    }
    const auto wait = limiter_.wait(outbox_.front().heartbeat, Clock::now());
    if (wait > Clock::duration::zero()) {
      pace.expires_after(wait);
      co_await pace.async_wait(use_tuple);
      const bool gone = co_await cancelled();
      if (gone) co_return Ending{};
      continue;
    }
    const std::string text = std::move(outbox_.front().text);
    outbox_.pop_front();
    limiter_.record(Clock::now());
    const auto ec = co_await transport_->write(text);
    if (ec) {
      const bool gone = co_await cancelled();
      if (gone) co_return Ending{};
      co_return Ending{AfterClose::resume, 0, fmt::format("write failed: {}", ec.message()), false};
    }
  }
}

void Shard::queue(std::string text, bool heartbeat) {
  // Heartbeats jump the queue: a late beat can cost the session.
  if (heartbeat) {
    outbox_.push_front(Outgoing{std::move(text), true});
  } else {
    outbox_.push_back(Outgoing{std::move(text), false});
  }
  wake_writer_.cancel();
}

void Shard::send(std::string payload) { queue(std::move(payload), false); }

void Shard::set_state(ShardState state, std::string detail) {
  if (status_.state == state && status_.detail == detail) return;
  status_.state = state;
  status_.detail = std::move(detail);
  status_.guilds = static_cast<std::uint32_t>(guilds_.size());
  authority_.status_changed(status_);
  if (callbacks_.state) callbacks_.state(status_);
}

void Shard::report_session() {
  if (session_id_.empty()) return;
  proto::SessionInfo info;
  info.shard_id = id_;
  info.session_id = session_id_;
  info.seq = seq_.value_or(0);
  info.resume_gateway_url = resume_url_;
  authority_.session_changed(info);
}

void Shard::forget_session() {
  if (session_id_.empty()) return;
  session_id_.clear();
  seq_.reset();
  resume_url_.clear();
  resume_url_failures_ = 0;
  proto::SessionInfo gone;
  gone.shard_id = id_;
  authority_.session_changed(gone);
}

}  // namespace megane::gateway
