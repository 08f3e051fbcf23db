#include "fakecord/gateway_connection.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include <simdjson.h>

#include "fakecord/hub.hpp"
#include "fakecord/payloads.hpp"

namespace fakecord {

// Parsed client payloads: the fields copied out of simdjson's DOM, with what was malformed.
struct IdentifyRequest {
  bool well_formed = false;  // d is an object with a properties object
  std::optional<std::string> token;
  bool shard_present = false;
  bool shard_valid = false;
  std::int64_t shard_id = 0;
  std::int64_t num_shards = 1;
  std::optional<std::int64_t> intents;  // absent or not an integer: nullopt
  std::int64_t large_threshold = 50;
};

struct ResumeRequest {
  bool well_formed = false;
  std::string token;
  std::string session_id;
  std::uint64_t seq = 0;
};

namespace {

constexpr std::size_t max_payload_bytes = 4096;      // Discord: larger payloads close 4002
constexpr std::size_t sends_per_minute = 120;        // Discord: more close 4008
constexpr auto send_window = std::chrono::seconds(60);

simdjson::dom::parser& parser() {
  static simdjson::dom::parser p;  // fakecord's core is single-threaded
  return p;
}

std::optional<std::int64_t> as_int(simdjson::dom::element e) {
  std::int64_t v = 0;
  if (e.type() == simdjson::dom::element_type::INT64 && e.get_int64().get(v) == simdjson::SUCCESS) return v;
  std::uint64_t u = 0;
  if (e.type() == simdjson::dom::element_type::UINT64 && e.get_uint64().get(u) == simdjson::SUCCESS &&
      u <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(u);
  }
  return std::nullopt;
}

using MaybeElement = simdjson::simdjson_result<simdjson::dom::element>;

IdentifyRequest parse_identify(MaybeElement d) {
  IdentifyRequest req;
  simdjson::dom::object obj;
  if (d.get_object().get(obj) != simdjson::SUCCESS) return req;
  simdjson::dom::element props;
  req.well_formed = obj["properties"].get(props) == simdjson::SUCCESS && props.is_object();
  std::string_view token;
  if (obj["token"].get_string().get(token) == simdjson::SUCCESS) req.token = std::string(token);
  simdjson::dom::element shard;
  if (obj["shard"].get(shard) == simdjson::SUCCESS && !shard.is_null()) {
    req.shard_present = true;
    simdjson::dom::array arr;
    if (shard.get_array().get(arr) == simdjson::SUCCESS && arr.size() == 2) {
      const auto id = as_int(arr.at(0).value_unsafe());
      const auto total = as_int(arr.at(1).value_unsafe());
      if (id && total) {
        req.shard_valid = true;
        req.shard_id = *id;
        req.num_shards = *total;
      }
    }
  }
  simdjson::dom::element intents;
  if (obj["intents"].get(intents) == simdjson::SUCCESS) req.intents = as_int(intents);
  simdjson::dom::element threshold;
  if (obj["large_threshold"].get(threshold) == simdjson::SUCCESS) {
    // Discord's range is 50..250; out-of-range values are clamped here.
    if (const auto t = as_int(threshold)) req.large_threshold = std::clamp<std::int64_t>(*t, 50, 250);
  }
  return req;
}

ResumeRequest parse_resume(MaybeElement d) {
  ResumeRequest req;
  simdjson::dom::object obj;
  if (d.get_object().get(obj) != simdjson::SUCCESS) return req;
  std::string_view token;
  std::string_view session_id;
  simdjson::dom::element seq;
  if (obj["token"].get_string().get(token) != simdjson::SUCCESS) return req;
  if (obj["session_id"].get_string().get(session_id) != simdjson::SUCCESS) return req;
  if (obj["seq"].get(seq) != simdjson::SUCCESS) return req;
  if (!seq.is_null()) {
    const auto s = as_int(seq);
    if (!s || *s < 0) return req;
    req.seq = static_cast<std::uint64_t>(*s);
  }
  req.well_formed = true;
  req.token = std::string(token);
  req.session_id = std::string(session_id);
  return req;
}

// Close codes after which Discord will not resume the session.
bool ends_session(std::uint16_t code) {
  return code == 4004 || code == 4007 || code == 4009 || (code >= 4010 && code <= 4014);
}

}  // namespace

GatewayConnection::GatewayConnection(Hub& hub, const ConnectionParams& params, TimePoint now)
    : hub_(hub),
      params_(params),
      outbox_(OutboxOptions{params.zlib, hub.options().zlib_level, hub.options().burst_zlib_level,
                            hub.options().zlib_split_every}),
      last_heartbeat_(now) {
  id_ = hub_.add_connection(*this);
}

GatewayConnection::~GatewayConnection() {
  detach(last_heartbeat_);
  hub_.remove_connection(id_);
}

void GatewayConnection::open(TimePoint now) {
  last_heartbeat_ = now;
  if (!params_.version_ok) return fail(4012, "Invalid API version");
  outbox_.send(hello_payload(hub_.options().hello_interval_ms));
}

bool GatewayConnection::over_send_limit(TimePoint now) {
  sends_.push_back(now);
  while (!sends_.empty() && now - sends_.front() >= send_window) sends_.pop_front();
  return sends_.size() > sends_per_minute;
}

void GatewayConnection::on_message(std::string_view payload, TimePoint now) {
  if (state_ == ConnectionState::closed) return;
  if (over_send_limit(now)) return fail(4008, "Rate limited.");
  if (payload.size() > max_payload_bytes) return fail(4002, "Error while decoding payload.");
  simdjson::dom::element doc;
  if (parser().parse(payload.data(), payload.size(), true).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return fail(4002, "Error while decoding payload.");
  }
  simdjson::dom::element op_element;
  if (doc["op"].get(op_element) != simdjson::SUCCESS) return fail(4002, "Error while decoding payload.");
  const auto op = as_int(op_element);
  if (!op) return fail(4002, "Error while decoding payload.");
  const MaybeElement d = doc["d"];

  // Ops a client may send: 1, 2, 3, 4, 6, 8, 31. Everything else is an unknown opcode.
  switch (*op) {
    case 1: return heartbeat(now);
    case 2: return identify(parse_identify(d), now);
    case 6: return resume(parse_resume(d), now);
    case 8:
      if (state_ != ConnectionState::authenticated) return fail(4003, "Not authenticated.");
      return request_guild_members(d);
    case 3:
    case 4:
    case 31:
      // Accepted and ignored once authenticated (presence, voice are not simulated).
      if (state_ != ConnectionState::authenticated) return fail(4003, "Not authenticated.");
      return;
    default: return fail(4001, "Unknown opcode.");
  }
}

// op 8 for a whole guild (query "" and limit 0) with GUILD_MEMBERS: its members in
// GUILD_MEMBERS_CHUNKs, as Discord answers. Requests by query or user ids, for a guild of
// another shard, or without the intent are ignored (not simulated).
void GatewayConnection::request_guild_members(simdjson::simdjson_result<simdjson::dom::element> d) {
  if (session_ == nullptr || (session_->intents & intent_guild_members) == 0) return;
  std::string_view guild_text, query = "x", nonce;
  std::int64_t limit = -1;
  if (d["guild_id"].get_string().get(guild_text) != simdjson::SUCCESS ||
      d["query"].get_string().get(query) != simdjson::SUCCESS || !query.empty() ||
      d["limit"].get_int64().get(limit) != simdjson::SUCCESS || limit != 0) {
    return;
  }
  if (d["nonce"].get_string().get(nonce) != simdjson::SUCCESS) nonce = {};
  std::uint64_t guild_id = 0;
  try {
    guild_id = std::stoull(std::string(guild_text));
  } catch (const std::exception&) {
    return;
  }
  const auto index = hub_.population().guild_index(guild_id);
  if (!index || (guild_id >> 22) % session_->num_shards != session_->shard_id) return;
  hub_.dispatch_member_chunks(*session_, *index, nonce);
}

void GatewayConnection::heartbeat(TimePoint now) {
  last_heartbeat_ = now;
  ++hub_.counters().heartbeats;
  if (heartbeat_requested_) {
    heartbeat_requested_ = false;
    ++hub_.counters().heartbeat_requests_answered;
  }
  if (zombie_) return;  // a zombied connection: the client must notice the missing ACK
  outbox_.send(heartbeat_ack_payload());
  ++hub_.counters().heartbeat_acks;
}

// Discord's gateway takes the bare token or "Bot <token>" (Eris sends the prefixed form).
bool GatewayConnection::token_matches(std::string_view sent, std::string_view expected) {
  if (sent.starts_with("Bot ")) sent.remove_prefix(4);
  return sent == expected;
}

void GatewayConnection::identify(const IdentifyRequest& req, TimePoint now) {
  const Options& opt = hub_.options();
  if (state_ == ConnectionState::authenticated) return fail(4005, "Already authenticated.");
  if (!req.well_formed) return fail(4002, "Error while decoding payload.");
  if (!req.token || !token_matches(*req.token, opt.token)) return fail(4004, "Authentication failed.");
  std::int64_t shard_id = 0;
  std::int64_t num_shards = 1;
  if (req.shard_present) {
    if (!req.shard_valid) return fail(4010, "Invalid shard.");
    shard_id = req.shard_id;
    num_shards = req.num_shards;
  }
  if (num_shards < 1 || shard_id < 0 || shard_id >= num_shards || num_shards > 0xFFFFFF ||
      (opt.expect_shards != 0 && num_shards != opt.expect_shards)) {
    return fail(4010, "Invalid shard.");
  }
  const auto shard = static_cast<std::uint32_t>(shard_id);
  const auto total = static_cast<std::uint32_t>(num_shards);
  if (hub_.population().guilds_for_shard(shard, total).size() > opt.max_guilds_per_shard) {
    return fail(4011, "Sharding required.");
  }
  if (!req.intents || *req.intents < 0 || *req.intents > 0xFFFFFFFF ||
      (static_cast<std::uint64_t>(*req.intents) & ~std::uint64_t{known_intents}) != 0) {
    return fail(4013, "Invalid intent(s).");
  }
  const auto intents = static_cast<std::uint32_t>(*req.intents);
  if ((intents & privileged_intents & ~opt.enabled_privileged_intents) != 0) {
    return fail(4014, "Disallowed intent(s).");
  }

  Counters& c = hub_.counters();
  if (!hub_.limiter().allowed(shard, now)) {
    ++c.too_early_identifies;
    return invalid_session(false);
  }
  if (!hub_.budget().try_take(now)) {
    // Discord resets the token when the daily budget runs out; fakecord refuses with op 9 instead
    // so a test can observe the violation and continue.
    ++c.budget_exhausted_identifies;
    return invalid_session(false);
  }
  hub_.limiter().record(shard, now);
  ++c.identifies;
  ++c.identifies_per_shard[shard];
  c.identify_ms_per_bucket[hub_.limiter().bucket(shard)].push_back(ms_between(hub_.start(), now));

  Session& s = hub_.create_session(shard, total, intents, static_cast<std::uint32_t>(req.large_threshold));
  state_ = ConnectionState::authenticated;
  attach(s, 1);
  ReadyInfo info{s.id, hub_.resume_url(), shard, total, application_flags_for(opt.enabled_privileged_intents)};
  hub_.dispatch(s, "READY", ready_d(hub_.population(), info));
  hub_.dispatch_guild_creates(s);
}

void GatewayConnection::resume(const ResumeRequest& req, TimePoint now) {
  if (state_ == ConnectionState::authenticated) return fail(4005, "Already authenticated.");
  if (!req.well_formed) return fail(4002, "Error while decoding payload.");
  if (!token_matches(req.token, hub_.options().token)) return fail(4004, "Authentication failed.");
  Counters& c = hub_.counters();
  Session* s = hub_.find_resumable(req.session_id, now);
  if (s == nullptr) {
    ++c.resumes_failed;
    return invalid_session(false);
  }
  if (req.seq > s->seq) {
    ++c.resumes_failed;
    hub_.invalidate(*s);
    return fail(4007, "Invalid seq.");
  }
  if (req.seq + 1 < s->oldest_seq()) {
    // The missed events are no longer buffered: the session cannot be continued.
    ++c.resumes_failed;
    return invalid_session(false);
  }
  if (s->attached != nullptr && s->attached != this) {
    // The session moves here; its old connection is cut off, as a zombie would be.
    GatewayConnection* old = s->attached;
    old->drop();
    old->detach(now);
  }
  ++c.resumes;
  ++c.resumes_per_shard[s->shard_id];
  state_ = ConnectionState::authenticated;
  attach(*s, req.seq + 1);
  c.replayed += s->seq - req.seq;
  hub_.dispatch(*s, "RESUMED", resumed_d());
}

void GatewayConnection::invalid_session(bool resumable) {
  ++hub_.counters().op9_sent;
  outbox_.send(invalid_session_payload(resumable));
}

void GatewayConnection::attach(Session& session, std::uint64_t next_seq) {
  session_ = &session;
  session.attached = this;
  next_seq_ = next_seq;
}

void GatewayConnection::detach(TimePoint now) {
  if (session_ == nullptr) return;
  Session* s = session_;
  session_ = nullptr;
  if (s->attached == this) {
    s->attached = nullptr;
    hub_.detached(*s, now);
  }
}

void GatewayConnection::fail(std::uint16_t code, std::string_view reason) {
  if (state_ == ConnectionState::closed) return;
  state_ = ConnectionState::closed;
  ++hub_.counters().closes_sent[code];
  if (session_ != nullptr && ends_session(code)) hub_.invalidate(*session_);
  outbox_.close(code, reason);
}

void GatewayConnection::on_client_close(std::uint16_t code) {
  ++hub_.counters().client_closes[code];
  // Discord: closing with 1000 or 1001 invalidates the session; any other code keeps it.
  if (session_ != nullptr && (code == 1000 || code == 1001)) hub_.invalidate(*session_);
  state_ = ConnectionState::closed;
  outbox_.close(code == 1005 ? 1000 : code, "");  // echo, completing the close handshake
}

void GatewayConnection::on_protocol_error(std::uint16_t code, std::string_view why) {
  if (state_ == ConnectionState::closed) return;
  state_ = ConnectionState::closed;
  ++hub_.counters().closes_sent[code];
  outbox_.close(code, why);
}

void GatewayConnection::on_transport_closed(TimePoint now) {
  state_ = ConnectionState::closed;
  detach(now);
}

void GatewayConnection::tick(TimePoint now) {
  if (state_ == ConnectionState::closed) return;
  // The client heartbeats every interval (the first after interval * jitter); allow half an
  // interval of lateness before declaring the session timed out.
  const milliseconds interval(hub_.options().hello_interval_ms);
  if (now - last_heartbeat_ > interval + interval / 2) fail(4009, "Session timed out.");
}

void GatewayConnection::pump() {
  if (session_ == nullptr || outbox_.finished() || silent_) return;
  Counters& c = hub_.counters();
  while (outbox_.pending() < high_water_ && next_seq_ <= session_->seq) {
    const ReplayEntry* e = session_->entry(next_seq_);
    if (e == nullptr) {
      // Evicted before this connection sent it: it cannot continue this session.
      hub_.invalidate(*session_);
      return fail(4009, "Session timed out.");
    }
    hub_.render(*session_, *e, outbox_);
    ++next_seq_;
    ++c.events_sent;
  }
}

void GatewayConnection::request_heartbeat() {
  if (state_ == ConnectionState::closed) return;
  heartbeat_requested_ = true;
  ++hub_.counters().heartbeat_requests;
  outbox_.send(heartbeat_request_payload());
}

void GatewayConnection::send_reconnect() {
  if (state_ == ConnectionState::closed) return;
  outbox_.send(reconnect_payload());
}

void GatewayConnection::send_invalid_session(bool resumable, TimePoint now) {
  if (state_ == ConnectionState::closed) return;
  if (session_ != nullptr && !resumable) hub_.invalidate(*session_);
  invalid_session(resumable);
  // Either way the client must start again on a connection: IDENTIFY (or RESUME) is accepted.
  detach(now);
  state_ = ConnectionState::connected;
}

void GatewayConnection::close(std::uint16_t code, std::string_view reason) { fail(code, reason); }

void GatewayConnection::drop() {
  if (outbox_.dropped()) return;
  state_ = ConnectionState::closed;
  ++hub_.counters().drops;
  outbox_.drop();
}

}  // namespace fakecord
