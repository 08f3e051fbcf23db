// GET /stats and GET /sessions: the hub's counters and sessions as JSON.
#include <string>

#include "fakecord/gateway_connection.hpp"
#include "fakecord/hub.hpp"
#include "fakecord/json_out.hpp"

namespace fakecord {

namespace {

template <class Map>
void append_count_map(std::string& out, const Map& map) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, count] : map) {
    if (!first) out.push_back(',');
    first = false;
    json::str(out, std::to_string(key));
    out.push_back(':');
    json::num(out, std::uint64_t{count});
  }
  out.push_back('}');
}

void field(std::string& out, std::string_view name, std::uint64_t value) {
  out.push_back(',');
  json::str(out, name);
  out.push_back(':');
  json::num(out, value);
}

}  // namespace

std::string Hub::stats_json(TimePoint now) {
  const Counters& c = counters_;
  std::string out = "{\"uptime_ms\":";
  json::num(out, ms_between(start_, now));
  out.append(",\"identifies\":{\"total\":");
  json::num(out, c.identifies);
  out.append(",\"per_shard\":");
  append_count_map(out, c.identifies_per_shard);
  out.append(",\"per_bucket\":{");
  bool first = true;
  for (const auto& [bucket, times] : c.identify_ms_per_bucket) {
    if (!first) out.push_back(',');
    first = false;
    json::str(out, std::to_string(bucket));
    out.append(":[");
    for (std::size_t i = 0; i < times.size(); ++i) {
      if (i > 0) out.push_back(',');
      json::num(out, times[i]);
    }
    out.push_back(']');
  }
  out.append("}},\"resumes\":{\"total\":");
  json::num(out, c.resumes);
  out.append(",\"per_shard\":");
  append_count_map(out, c.resumes_per_shard);
  field(out, "failed", c.resumes_failed);
  out.push_back('}');
  field(out, "op9_sent", c.op9_sent);
  field(out, "too_early_identifies", c.too_early_identifies);
  field(out, "budget_exhausted_identifies", c.budget_exhausted_identifies);
  field(out, "connections_open", connections_.size());
  field(out, "connections_total", c.connections_total);
  field(out, "sessions", sessions_.size());
  field(out, "events_dispatched", c.events_dispatched);
  field(out, "events_sent", c.events_sent);
  field(out, "events_replayed", c.replayed);
  field(out, "heartbeats", c.heartbeats);
  field(out, "heartbeat_acks", c.heartbeat_acks);
  field(out, "heartbeat_requests", c.heartbeat_requests);
  field(out, "heartbeat_requests_answered", c.heartbeat_requests_answered);
  out.append(",\"closes_sent\":");
  append_count_map(out, c.closes_sent);
  out.append(",\"client_closes\":");
  append_count_map(out, c.client_closes);
  field(out, "drops", c.drops);
  field(out, "bursts_started", c.bursts_started);
  field(out, "bursts_active", active_bursts_);
  out.append(",\"session_start_limit\":{\"total\":");
  json::num(out, std::uint64_t{budget_.total()});
  field(out, "remaining", budget_.remaining(now));
  field(out, "reset_after", budget_.reset_after_ms(now));
  field(out, "max_concurrency", limiter_.max_concurrency());
  out.append("},\"rest\":{\"requests\":");
  json::num(out, c.rest_requests);
  field(out, "messages_posted", c.messages_posted);
  field(out, "rate_limited", c.rate_limited_responses);
  out.append("}}");
  return out;
}

std::string Hub::sessions_json() {
  std::string out = "{\"sessions\":[";
  bool first = true;
  for (const auto& [id, s] : sessions_) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"session_id\":");
    json::str(out, id);
    field(out, "shard_id", s->shard_id);
    field(out, "num_shards", s->num_shards);
    field(out, "seq", s->seq);
    field(out, "intents", s->intents);
    field(out, "buffered", s->ring.size());
    out.append(",\"connected\":");
    json::boolean(out, s->attached != nullptr);
    out.append(",\"invalid\":");
    json::boolean(out, s->invalid);
    out.push_back('}');
  }
  out.append("],\"connections\":[");
  first = true;
  for (const auto& [cid, conn] : connections_) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"id\":");
    json::num(out, cid);
    out.append(",\"session_id\":");
    if (conn->session() != nullptr) {
      json::str(out, conn->session()->id);
    } else {
      out.append("null");
    }
    out.append(",\"zlib\":");
    json::boolean(out, conn->params().zlib);
    out.append(",\"resume_port\":");
    json::boolean(out, conn->params().resume_port);
    out.append(",\"zombie\":");
    json::boolean(out, conn->zombie());
    field(out, "next_seq", conn->next_seq());
    field(out, "pending_bytes", conn->outbox().pending());
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace fakecord
