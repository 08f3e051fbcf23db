#include "fakecord/hub.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "fakecord/gateway_connection.hpp"
#include "fakecord/guild_json.hpp"
#include "fakecord/json_out.hpp"
#include "fakecord/outbox.hpp"
#include "fakecord/payloads.hpp"
#include "fakecord/snowflake.hpp"

namespace fakecord {

namespace {

PopulationSpec spec_of(const Options& o) {
  return PopulationSpec{o.guilds, o.members_per_guild, o.channels_per_guild, o.roles_per_guild, o.seed};
}

}  // namespace

Hub::Hub(const Options& options, TimePoint start)
    : options_(options),
      population_(spec_of(options)),
      start_(start),
      limiter_(options.max_concurrency, milliseconds(options.identify_window_ms)),
      budget_(options.session_total, options.session_remaining, milliseconds(options.session_reset_ms), start) {}

Hub::~Hub() = default;

void Hub::set_urls(std::string gateway_url, std::string resume_url) {
  gateway_url_ = std::move(gateway_url);
  resume_url_ = std::move(resume_url);
}

std::uint64_t Hub::add_connection(GatewayConnection& conn) {
  const std::uint64_t id = next_connection_id_++;
  connections_.emplace(id, &conn);
  ++counters_.connections_total;
  return id;
}

void Hub::remove_connection(std::uint64_t id) { connections_.erase(id); }

std::vector<GatewayConnection*> Hub::connections() const {
  std::vector<GatewayConnection*> out;
  out.reserve(connections_.size());
  for (const auto& [id, conn] : connections_) out.push_back(conn);
  return out;
}

Session& Hub::create_session(std::uint32_t shard_id, std::uint32_t num_shards, std::uint32_t intents,
                             std::uint32_t large_threshold) {
  auto s = std::make_unique<Session>();
  // 32 hex digits, like Discord's session ids; unique per fakecord run.
  const std::uint64_t n = ++sessions_created_;
  const auto salt = static_cast<std::uint64_t>(start_.time_since_epoch().count());
  s->id = fmt::format("{:016x}{:016x}", hash3(options_.seed, n, salt), hash3(options_.seed ^ salt, n));
  s->shard_id = shard_id;
  s->num_shards = num_shards;
  s->intents = intents;
  s->large_threshold = large_threshold;
  s->templates = &templates_for(shard_id, num_shards, (intents & intent_message_content) != 0);
  Session& ref = *s;
  sessions_.emplace(s->id, std::move(s));
  return ref;
}

Session* Hub::find_session(std::string_view session_id) {
  const auto it = sessions_.find(std::string(session_id));
  return it == sessions_.end() ? nullptr : it->second.get();
}

Session* Hub::find_resumable(std::string_view session_id, TimePoint now) {
  Session* s = find_session(session_id);
  if (s == nullptr || s->invalid) return nullptr;
  if (s->attached == nullptr && now - s->detached_at > milliseconds(options_.resume_timeout_ms)) return nullptr;
  return s;
}

void Hub::invalidate(Session& session) {
  session.invalid = true;
  if (session.attached == nullptr) {
    const std::string id = session.id;  // erase() must not read the key it destroys
    sessions_.erase(id);
  }
}

void Hub::detached(Session& session, TimePoint now) {
  session.detached_at = now;
  if (session.invalid) {
    const std::string id = session.id;
    sessions_.erase(id);
  }
}

std::vector<Session*> Hub::sessions_for(std::optional<std::uint32_t> shard_id) {
  std::vector<Session*> out;
  for (auto& [id, s] : sessions_) {
    if (s->invalid) continue;
    if (!shard_id || s->shard_id == *shard_id) out.push_back(s.get());
  }
  return out;
}

void Hub::append(Session& session, ReplayEntry entry) {
  session.seq = entry.seq;
  session.ring.push_back(std::move(entry));
  ++counters_.events_dispatched;
  // Keep the newest replay_buffer events, but never drop one the attached connection has not
  // sent yet (its backlog is bounded by the burst loop's backpressure instead).
  const std::uint64_t unsent = session.attached != nullptr ? session.attached->next_seq() : UINT64_MAX;
  while (session.ring.size() > options_.replay_buffer && session.ring.front().seq < unsent) {
    session.ring.pop_front();
  }
}

void Hub::dispatch(Session& session, std::string_view event, std::string_view d_json) {
  ReplayEntry e;
  e.kind = ReplayEntry::Kind::text;
  e.seq = session.seq + 1;
  e.text = std::make_shared<const std::string>(dispatch_payload(event, e.seq, d_json));
  append(session, std::move(e));
  if (session.attached != nullptr) session.attached->pump();
}

void Hub::dispatch_guild_creates(Session& session) {
  for (const std::uint32_t g : population_.guilds_for_shard(session.shard_id, session.num_shards)) {
    ReplayEntry e;
    e.kind = ReplayEntry::Kind::guild_create;
    e.index = g;
    e.seq = session.seq + 1;
    append(session, std::move(e));
  }
  if (session.attached != nullptr) session.attached->pump();
}

void Hub::dispatch_member_chunks(Session& session, std::size_t guild, std::string_view nonce) {
  constexpr std::uint32_t per_chunk = 1000;  // Discord's chunk size
  const std::uint32_t members = population_.spec().members_per_guild;
  const std::uint32_t chunks = std::max<std::uint32_t>(1, (members + per_chunk - 1) / per_chunk);
  for (std::uint32_t c = 0; c < chunks; ++c) {
    std::string d = "{\"guild_id\":";
    json::id(d, population_.guild_id(guild));
    d.append(",\"members\":[");
    for (std::uint32_t j = c * per_chunk; j < std::min(members, (c + 1) * per_chunk); ++j) {
      if (j > c * per_chunk) d.push_back(',');
      append_member(d, population_, guild, j, true);
    }
    d.append("],\"chunk_index\":");
    json::num(d, std::uint64_t{c});
    d.append(",\"chunk_count\":");
    json::num(d, std::uint64_t{chunks});
    if (!nonce.empty()) {
      d.append(",\"nonce\":");
      json::str(d, nonce);
    }
    d.push_back('}');
    dispatch(session, "GUILD_MEMBERS_CHUNK", d);
  }
}

std::size_t Hub::dispatch_burst(Session& session, std::size_t n) {
  if (session.templates == nullptr || session.templates->empty()) return 0;
  const auto variants = static_cast<std::uint32_t>(session.templates->size());
  for (std::size_t i = 0; i < n; ++i) {
    ReplayEntry e;
    e.kind = ReplayEntry::Kind::message;
    e.seq = session.seq + 1;
    e.index = static_cast<std::uint32_t>(e.seq % variants);
    e.id = burst_message_id(message_counter_++);
    append(session, std::move(e));
  }
  if (session.attached != nullptr) session.attached->pump();
  return n;
}

void Hub::render(const Session& session, const ReplayEntry& entry, Outbox& out) {
  switch (entry.kind) {
    case ReplayEntry::Kind::text: out.send(*entry.text); return;
    case ReplayEntry::Kind::guild_create:
      scratch_.clear();
      append_dispatch_head(scratch_, "GUILD_CREATE", entry.seq);
      append_guild_create(scratch_, population_, entry.index, session.large_threshold);
      scratch_.push_back('}');
      out.send(scratch_);
      return;
    case ReplayEntry::Kind::message:
      out.send_template((*session.templates)[entry.index], entry.seq, entry.id);
      return;
  }
}

const std::vector<MessageTemplate>& Hub::templates_for(std::uint32_t shard, std::uint32_t num_shards, bool content) {
  const auto key = std::make_tuple(shard, num_shards, content);
  auto it = templates_.find(key);
  if (it == templates_.end()) {
    it = templates_.emplace(key, build_message_templates(population_, shard, num_shards, content)).first;
  }
  return it->second;
}

void Hub::tick(TimePoint now) {
  for (GatewayConnection* conn : connections()) conn->tick(now);
  const milliseconds timeout(options_.resume_timeout_ms);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Session& s = *it->second;
    if (s.attached == nullptr && (s.invalid || now - s.detached_at > timeout)) {
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace fakecord
