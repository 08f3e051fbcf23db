// fakecord's control API (docs/fakecord.md): counters, bursts, scripted dispatches, faults and
// REST behaviour. Requests and answers are JSON; errors are {"error": "..."} with status 400/404.
#include <charconv>
#include <optional>
#include <string>
#include <variant>

#include <fmt/format.h>
#include <simdjson.h>

#include "fakecord/gateway_connection.hpp"
#include "fakecord/hub.hpp"
#include "fakecord/json_out.hpp"
#include "fakecord/routes.hpp"

namespace fakecord {

namespace {

using simdjson::dom::element;

// An optional field: `out` keeps its default when the field is absent or of another type.
template <class T>
void optional_field(element doc, const char* key, T& out) {
  T value{};
  if (doc[key].get(value) == simdjson::SUCCESS) out = value;
}

HttpResponse error(unsigned status, std::string_view message) {
  std::string body = "{\"error\":";
  json::str(body, message);
  body.push_back('}');
  return json_response(status, std::move(body));
}

HttpResponse ok_count(std::string_view name, std::uint64_t n) {
  std::string body = "{";
  json::str(body, name);
  body.push_back(':');
  json::num(body, n);
  body.push_back('}');
  return json_response(200, std::move(body));
}

// "shard": N or "all", or "session_id": "...": which sessions a request is about.
struct Target {
  std::optional<std::uint32_t> shard;  // nullopt with all = true: every shard
  bool all = false;
  std::string session_id;
};

std::variant<Target, HttpResponse> parse_target(element doc) {
  Target t;
  std::string_view sid;
  if (doc["session_id"].get_string().get(sid) == simdjson::SUCCESS) {
    t.session_id = std::string(sid);
    return t;
  }
  element shard;
  if (doc["shard"].get(shard) != simdjson::SUCCESS) return error(400, "give \"shard\": id or \"all\", or \"session_id\"");
  std::string_view text;
  std::uint64_t id = 0;
  if (shard.get_string().get(text) == simdjson::SUCCESS && text == "all") {
    t.all = true;
  } else if (shard.get_uint64().get(id) == simdjson::SUCCESS && id <= UINT32_MAX) {
    t.shard = static_cast<std::uint32_t>(id);
  } else {
    return error(400, "\"shard\" must be a shard id or \"all\"");
  }
  return t;
}

std::vector<Session*> sessions_of(Hub& hub, const Target& t) {
  if (!t.session_id.empty()) {
    Session* s = hub.find_session(t.session_id);
    if (s == nullptr || s->invalid) return {};
    return {s};
  }
  return hub.sessions_for(t.all ? std::nullopt : t.shard);
}

RouteResult burst(Hub& hub, element doc) {
  auto target = parse_target(doc);
  if (auto* e = std::get_if<HttpResponse>(&target)) return {std::move(*e), {}};
  std::string_view event = "MESSAGE_CREATE";
  if (doc["event"].get(event) == simdjson::SUCCESS && event != "MESSAGE_CREATE") {
    return {error(400, "bursts support \"event\": \"MESSAGE_CREATE\" only"), {}};
  }
  std::uint64_t count = 0;
  if (doc["count"].get_uint64().get(count) != simdjson::SUCCESS || count == 0) {
    return {error(400, "\"count\" must be a positive integer"), {}};
  }
  double rate = 0;
  element rate_el;
  if (doc["rate"].get(rate_el) == simdjson::SUCCESS) {
    if (rate_el.get_double().get(rate) != simdjson::SUCCESS) {
      std::uint64_t r = 0;
      if (rate_el.get_uint64().get(r) != simdjson::SUCCESS) return {error(400, "\"rate\" must be a number"), {}};
      rate = static_cast<double>(r);
    }
    if (rate < 0) return {error(400, "\"rate\" must be >= 0"), {}};
  }
  RouteResult result;
  std::uint64_t skipped = 0;
  for (Session* s : sessions_of(hub, std::get<Target>(target))) {
    // Discord sends MESSAGE_CREATE only with GUILD_MESSAGES; a shard without guilds has no channel.
    if ((s->intents & intent_guild_messages) == 0 || s->templates == nullptr || s->templates->empty()) {
      ++skipped;
      continue;
    }
    result.bursts.push_back(BurstJob{s->id, count, rate});
  }
  hub.counters().bursts_started += result.bursts.size();
  std::string body = "{\"sessions\":";
  json::num(body, std::uint64_t{result.bursts.size()});
  body.append(",\"skipped\":");
  json::num(body, skipped);
  body.append(",\"count\":");
  json::num(body, count);
  body.push_back('}');
  result.response = json_response(200, std::move(body));
  return result;
}

bool valid_event_name(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (const char c : t) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

HttpResponse dispatch(Hub& hub, element doc) {
  auto target = parse_target(doc);
  if (auto* e = std::get_if<HttpResponse>(&target)) return std::move(*e);
  std::string_view t;
  if (doc["t"].get_string().get(t) != simdjson::SUCCESS || !valid_event_name(t)) {
    return error(400, "\"t\" must be an event name like \"GUILD_UPDATE\"");
  }
  element d;
  if (doc["d"].get(d) != simdjson::SUCCESS) return error(400, "\"d\" is required");
  const std::string event(t);
  const std::string d_json = simdjson::minify(d);
  std::uint64_t n = 0;
  for (Session* s : sessions_of(hub, std::get<Target>(target))) {
    hub.dispatch(*s, event, d_json);
    ++n;
  }
  return ok_count("sessions", n);
}

HttpResponse fault(Hub& hub, element doc, TimePoint now) {
  auto target = parse_target(doc);
  if (auto* e = std::get_if<HttpResponse>(&target)) return std::move(*e);
  std::string_view kind;
  if (doc["kind"].get_string().get(kind) != simdjson::SUCCESS) return error(400, "\"kind\" is required");
  bool resumable = false;
  optional_field(doc, "resumable", resumable);
  std::uint64_t code = 0;
  if (kind == "close") {
    if (doc["code"].get_uint64().get(code) != simdjson::SUCCESS || code < 1000 || code > 4999 ||
        (code >= 1004 && code <= 1006) || code == 1015 || (code >= 1016 && code < 3000)) {
      return error(400, "\"close\" needs a sendable \"code\": 1000-1003, 1007-1014 or 3000-4999");
    }
  } else if (kind != "reconnect" && kind != "invalid_session" && kind != "zombie" && kind != "drop" &&
             kind != "heartbeat_request" && kind != "unzombie" && kind != "silent" && kind != "unsilent") {
    return error(400, "\"kind\" must be reconnect, invalid_session, zombie, unzombie, silent, unsilent, close, drop "
                      "or heartbeat_request");
  }
  std::vector<GatewayConnection*> conns;
  for (Session* s : sessions_of(hub, std::get<Target>(target))) {
    if (s->attached != nullptr) conns.push_back(s->attached);
  }
  for (GatewayConnection* c : conns) {
    if (kind == "reconnect") c->send_reconnect();
    if (kind == "invalid_session") c->send_invalid_session(resumable, now);
    if (kind == "zombie") c->set_zombie(true);
    if (kind == "unzombie") c->set_zombie(false);
    if (kind == "silent") c->set_silent(true);
    if (kind == "unsilent") c->set_silent(false);
    if (kind == "close") c->close(static_cast<std::uint16_t>(code), "fakecord fault injection");
    if (kind == "drop") c->drop();
    if (kind == "heartbeat_request") c->request_heartbeat();
  }
  return ok_count("connections", conns.size());
}

HttpResponse rate_limit(Hub& hub, element doc) {
  RestState& rest = hub.rest();
  std::uint64_t count = 1;
  optional_field(doc, "count", count);
  double retry_after = 1.0;
  std::uint64_t whole = 0;
  if (doc["retry_after"].get_double().get(retry_after) != simdjson::SUCCESS) {
    retry_after = doc["retry_after"].get_uint64().get(whole) == simdjson::SUCCESS ? static_cast<double>(whole) : 1.0;
  }
  bool global = false;
  optional_field(doc, "global", global);
  std::string_view routes = "messages";
  optional_field(doc, "routes", routes);
  if (routes != "messages" && routes != "all") return error(400, "\"routes\" must be \"messages\" or \"all\"");
  rest.forced_429 = static_cast<std::uint32_t>(std::min<std::uint64_t>(count, UINT32_MAX));
  rest.retry_after_s = retry_after;
  rest.global = global;
  rest.all_routes = routes == "all";
  return ok_count("forced_429", rest.forced_429);
}

// {"count":N,"reset_after":S}: the next N accepted message posts answer with
// X-RateLimit-Remaining: 0 and X-RateLimit-Reset-After: S, as the last request of a bucket does.
HttpResponse bucket(Hub& hub, element doc) {
  RestState& rest = hub.rest();
  std::uint64_t count = 1;
  optional_field(doc, "count", count);
  double reset_after = 1.0;
  std::uint64_t whole = 0;
  if (doc["reset_after"].get_double().get(reset_after) != simdjson::SUCCESS) {
    reset_after = doc["reset_after"].get_uint64().get(whole) == simdjson::SUCCESS ? static_cast<double>(whole) : 1.0;
  }
  rest.exhausted = static_cast<std::uint32_t>(std::min<std::uint64_t>(count, UINT32_MAX));
  rest.exhausted_reset_s = reset_after;
  return ok_count("exhausted", rest.exhausted);
}

HttpResponse session_start_limit(Hub& hub, element doc, TimePoint now) {
  std::uint64_t total = hub.budget().total();
  std::uint64_t remaining = hub.budget().remaining(now);
  optional_field(doc, "total", total);
  optional_field(doc, "remaining", remaining);
  hub.budget().set(static_cast<std::uint32_t>(std::min<std::uint64_t>(total, UINT32_MAX)),
                   static_cast<std::uint32_t>(std::min<std::uint64_t>(remaining, UINT32_MAX)));
  return ok_count("remaining", hub.budget().remaining(now));
}

HttpResponse config(Hub& hub, element doc) {
  std::uint64_t split = 0;
  if (doc["zlib_split_every"].get_uint64().get(split) != simdjson::SUCCESS || split > UINT32_MAX) {
    return error(400, "\"zlib_split_every\" must be a non-negative integer");
  }
  hub.mutable_options().zlib_split_every = static_cast<std::uint32_t>(split);
  for (GatewayConnection* c : hub.connections()) c->outbox().set_split_every(static_cast<std::uint32_t>(split));
  return ok_count("zlib_split_every", split);
}

HttpResponse posted_messages(Hub& hub) {
  std::string body = "{\"messages\":[";
  bool first = true;
  for (const RestState::Posted& m : hub.rest().posted) {
    if (!first) body.push_back(',');
    first = false;
    body.append("{\"id\":");
    json::id(body, m.id);
    body.append(",\"channel_id\":");
    json::id(body, m.channel_id);
    body.append(",\"via\":");
    json::str(body, m.webhook_id == 0 ? "channel" : "webhook");
    body.append(",\"webhook_id\":");
    json::id_or_null(body, m.webhook_id);
    body.append(",\"received_us\":");
    json::num(body, m.received_us);
    body.append(",\"headers\":");
    body.append(m.headers_json);
    body.append(",\"body\":");
    body.append(m.body);  // valid JSON: it was parsed before it was recorded
    body.push_back('}');
  }
  body.append("]}");
  return json_response(200, std::move(body));
}

HttpResponse rest_log(Hub& hub) {
  std::string body = "{\"requests\":[";
  bool first = true;
  for (const RestState::Logged& l : hub.rest().log) {
    if (!first) body.push_back(',');
    first = false;
    body.append("{\"method\":");
    json::str(body, l.method);
    body.append(",\"path\":");
    json::str(body, l.path);
    body.append(",\"status\":");
    json::num(body, std::uint64_t{l.status});
    body.append(",\"received_us\":");
    json::num(body, l.received_us);
    body.push_back('}');
  }
  body.append("]}");
  return json_response(200, std::move(body));
}

// {"channel_id":"..."} -> {"id":"...","token":"..."}: a webhook bots may execute at
// /api/v10/webhooks/{id}/{token}. The channel defaults to the first guild's first text channel.
HttpResponse create_webhook(Hub& hub, element doc) {
  RestState& rest = hub.rest();
  std::uint64_t channel = hub.population().first_text_channel(0);
  std::string_view text;
  if (doc["channel_id"].get_string().get(text) == simdjson::SUCCESS) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !hub.population().guild_of_channel(v))
      return error(400, "\"channel_id\" must be a channel of the population");
    channel = v;
  }
  const std::uint64_t id = hub.next_message_id();  // any fresh snowflake will do
  // Discord's webhook tokens are 68 URL-safe characters; this one is unique and obviously fake.
  const std::string token = fmt::format("fakecord-webhook-token-{:016x}", id * 0x9E3779B97F4A7C15ull);
  rest.webhooks[id] = RestState::Webhook{token, channel};
  std::string body = "{\"id\":";
  json::id(body, id);
  body.append(",\"token\":");
  json::str(body, token);
  body.append(",\"channel_id\":");
  json::id(body, channel);
  body.push_back('}');
  return json_response(200, std::move(body));
}

}  // namespace

RouteResult handle_control(Hub& hub, const HttpRequest& req, TimePoint now) {
  const std::string_view path = path_of(req.target);
  if (req.method == "GET") {
    if (path == "/stats") return {json_response(200, hub.stats_json(now)), {}};
    if (path == "/sessions") return {json_response(200, hub.sessions_json()), {}};
    if (path == "/messages") return {posted_messages(hub), {}};
    if (path == "/rest-log") return {rest_log(hub), {}};
    return {error(404, "unknown route"), {}};
  }
  if (req.method != "POST") return {error(405, "use GET or POST"), {}};
  if (path == "/reset") {
    hub.reset_counters();
    hub.rest().posted.clear();
    hub.rest().log.clear();
    return {json_response(200, "{\"reset\":true}"), {}};
  }
  static simdjson::dom::parser parser;
  element doc;
  const std::string& body = req.body.empty() ? std::string("{}") : req.body;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return {error(400, "the body must be a JSON object"), {}};
  }
  if (path == "/burst") return burst(hub, doc);
  if (path == "/dispatch") return {dispatch(hub, doc), {}};
  if (path == "/fault") return {fault(hub, doc, now), {}};
  if (path == "/rate-limit") return {rate_limit(hub, doc), {}};
  if (path == "/bucket") return {bucket(hub, doc), {}};
  if (path == "/session-start-limit") return {session_start_limit(hub, doc, now), {}};
  if (path == "/config") return {config(hub, doc), {}};
  if (path == "/webhooks") return {create_webhook(hub, doc), {}};
  return {error(404, "unknown route"), {}};
}

}  // namespace fakecord
