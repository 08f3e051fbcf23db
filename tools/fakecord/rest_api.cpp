// Discord's REST API, the part bots need here: GET /gateway, /gateway/bot, /users/@me,
// POST /channels/{id}/messages and POST /webhooks/{id}/{token}, with Discord's error bodies and
// rate limit headers. Posted messages are recorded with their headers (the token left out) and
// every request is logged with its time, for tests.
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

#include "fakecord/guild_json.hpp"
#include "fakecord/hub.hpp"
#include "fakecord/json_out.hpp"
#include "fakecord/routes.hpp"

namespace fakecord {

namespace {

constexpr std::string_view api_prefix = "/api/v10";
constexpr std::size_t max_posted = 1000;
constexpr std::size_t max_logged = 1000;

std::uint64_t micros_since(TimePoint start, TimePoint now) {
  return now <= start ? 0 : static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - start).count());
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The request's headers as a JSON object, the bot token left out of Authorization (said to be
// valid or not) so that a test can search the record for the token: any hit is a leak.
std::string headers_json(const Hub& hub, const HttpRequest& req) {
  std::string out = "{";
  for (const auto& [name, value] : req.headers) {
    if (out.size() > 1) out.push_back(',');
    json::str(out, name);
    out.push_back(':');
    if (iequals(name, "authorization")) json::str(out, value == "Bot " + hub.options().token ? "Bot <the bot token>" : "<not the bot token>");
    else json::str(out, value);
  }
  out.push_back('}');
  return out;
}

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void add_rate_limit_headers(HttpResponse& r, unsigned remaining, double reset_after, std::string_view scope) {
  r.headers.emplace_back("X-RateLimit-Limit", "5");
  r.headers.emplace_back("X-RateLimit-Remaining", std::to_string(remaining));
  r.headers.emplace_back("X-RateLimit-Reset", fmt::format("{:.3f}", unix_seconds_now() + reset_after));
  r.headers.emplace_back("X-RateLimit-Reset-After", fmt::format("{:.3f}", reset_after));
  r.headers.emplace_back("X-RateLimit-Bucket", "f4c3c0rd0000messages");
  if (!scope.empty()) r.headers.emplace_back("X-RateLimit-Scope", std::string(scope));
}

HttpResponse rate_limited(Hub& hub) {
  RestState& rest = hub.rest();
  --rest.forced_429;
  ++hub.counters().rate_limited_responses;
  std::string body = "{\"message\":\"You are being rate limited.\",\"retry_after\":";
  body.append(fmt::format("{:.3f}", rest.retry_after_s));
  body.append(",\"global\":");
  json::boolean(body, rest.global);
  body.append(",\"code\":0}");
  HttpResponse r = json_response(429, std::move(body));
  add_rate_limit_headers(r, 0, rest.retry_after_s, rest.global ? "global" : "user");
  if (rest.global) r.headers.emplace_back("X-RateLimit-Global", "true");
  r.headers.emplace_back("Retry-After", std::to_string(static_cast<long>(std::ceil(rest.retry_after_s))));
  return r;
}

HttpResponse gateway_bot(Hub& hub, TimePoint now) {
  std::string body = "{\"url\":";
  json::str(body, hub.gateway_url());
  body.append(",\"shards\":");
  json::num(body, std::uint64_t{hub.options().shards_recommended});
  body.append(",\"session_start_limit\":{\"total\":");
  json::num(body, std::uint64_t{hub.budget().total()});
  body.append(",\"remaining\":");
  json::num(body, std::uint64_t{hub.budget().remaining(now)});
  body.append(",\"reset_after\":");
  json::num(body, hub.budget().reset_after_ms(now));
  body.append(",\"max_concurrency\":");
  json::num(body, std::uint64_t{hub.limiter().max_concurrency()});
  body.append("}}");
  return json_response(200, std::move(body));
}

// A channel message (webhook_id 0, with the bot token) or a webhook execution; `wait`: the
// webhook answers with the message (200) rather than 204, as with ?wait=true on Discord.
HttpResponse create_message(Hub& hub, std::uint64_t channel_id, const HttpRequest& req, TimePoint now,
                            std::uint64_t webhook_id = 0, bool wait = true) {
  const std::string& request_body = req.body;
  const Population& pop = hub.population();
  if (webhook_id == 0 && !pop.guild_of_channel(channel_id)) return discord_error(404, "Unknown Channel", 10003);
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(request_body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return discord_error(400, "The request body contains invalid JSON.", 50109);
  }
  std::string_view content;
  if (doc["content"].get_string().get(content) != simdjson::SUCCESS) content = {};
  if (content.size() > 2000) {
    return json_response(400, R"({"message":"Invalid Form Body","code":50035,"errors":{"content":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 2000 or fewer in length."}]}}})");
  }
  simdjson::dom::array embeds;
  const bool has_embeds = doc["embeds"].get_array().get(embeds) == simdjson::SUCCESS && embeds.size() > 0;
  simdjson::dom::array components;
  const bool has_components = doc["components"].get_array().get(components) == simdjson::SUCCESS && components.size() > 0;
  if (content.empty() && !has_embeds && !has_components) {
    return discord_error(400, "Cannot send an empty message", 50006);
  }

  const std::uint64_t id = hub.next_message_id();
  RestState& rest = hub.rest();
  rest.posted.push_back(RestState::Posted{id, channel_id, webhook_id, request_body, headers_json(hub, req),
                                          micros_since(hub.start(), now)});
  if (rest.posted.size() > max_posted) rest.posted.pop_front();
  ++hub.counters().messages_posted;

  std::string body = "{\"id\":";
  json::id(body, id);
  body.append(",\"type\":0,\"content\":");
  json::str(body, content);
  body.append(",\"channel_id\":");
  json::id(body, channel_id);
  body.append(",\"author\":");
  append_user(body, pop.bot_user());
  body.append(",\"attachments\":[],\"embeds\":");
  body.append(has_embeds ? simdjson::minify(embeds) : std::string("[]"));
  body.append(",\"mentions\":[],\"mention_roles\":[],\"pinned\":false,\"mention_everyone\":false,\"tts\":false,\"timestamp\":");
  json::timestamp(body, static_cast<std::uint64_t>(unix_seconds_now() * 1000));
  body.append(",\"edited_timestamp\":null,\"flags\":0,\"components\":");
  body.append(has_components ? simdjson::minify(components) : std::string("[]"));
  body.push_back('}');
  HttpResponse r = wait ? json_response(200, std::move(body)) : json_response(204, {});
  if (rest.exhausted > 0) {  // the bucket's last request: a client must wait for its reset
    --rest.exhausted;
    add_rate_limit_headers(r, 0, rest.exhausted_reset_s, "");
  } else {
    add_rate_limit_headers(r, 4, 5.0, "");
  }
  return r;
}

std::optional<std::uint64_t> parse_snowflake(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// POST /webhooks/{id}/{token}: no bot token; the webhook's own token is in the path.
HttpResponse execute_webhook(Hub& hub, std::string_view rest_of_path, const HttpRequest& req, TimePoint now) {
  const auto slash = rest_of_path.find('/');
  if (slash == std::string_view::npos) return discord_error(404, "404: Not Found", 0);
  const auto id = parse_snowflake(rest_of_path.substr(0, slash));
  const std::string_view token = rest_of_path.substr(slash + 1);
  if (!id || token.empty() || token.find('/') != std::string_view::npos) return discord_error(404, "404: Not Found", 0);
  if (req.method != "POST") return discord_error(405, "405: Method Not Allowed", 0);
  RestState& rest = hub.rest();
  const auto it = rest.webhooks.find(*id);
  if (it == rest.webhooks.end()) return discord_error(404, "Unknown Webhook", 10015);
  if (it->second.token != token) return discord_error(401, "Invalid Webhook Token", 50027);
  if (rest.forced_429 > 0) return rate_limited(hub);
  const auto wait = query_param(req.target, "wait");
  return create_message(hub, it->second.channel_id, req, now, *id, wait && *wait == "true");
}

HttpResponse route(Hub& hub, const HttpRequest& req, TimePoint now) {
  std::string_view path = path_of(req.target);
  if (path.substr(0, api_prefix.size()) != api_prefix) return discord_error(404, "404: Not Found", 0);
  path.remove_prefix(api_prefix.size());
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

  if (path == "/gateway") {  // the one route without authentication
    if (req.method != "GET") return discord_error(405, "405: Method Not Allowed", 0);
    std::string body = "{\"url\":";
    json::str(body, hub.gateway_url());
    body.push_back('}');
    return json_response(200, std::move(body));
  }
  constexpr std::string_view webhooks = "/webhooks/";
  if (path.substr(0, webhooks.size()) == webhooks) return execute_webhook(hub, path.substr(webhooks.size()), req, now);
  if (req.authorization != "Bot " + hub.options().token) return discord_error(401, "401: Unauthorized", 0);
  RestState& rest = hub.rest();

  if (path == "/gateway/bot" || path == "/users/@me") {
    if (req.method != "GET") return discord_error(405, "405: Method Not Allowed", 0);
    if (rest.forced_429 > 0 && rest.all_routes) return rate_limited(hub);
    if (path == "/gateway/bot") return gateway_bot(hub, now);
    std::string body;
    append_user(body, hub.population().bot_user());
    return json_response(200, std::move(body));
  }
  constexpr std::string_view channels = "/channels/";
  constexpr std::string_view messages = "/messages";
  if (path.substr(0, channels.size()) == channels && path.size() > channels.size() + messages.size() &&
      path.substr(path.size() - messages.size()) == messages) {
    const auto channel_id = parse_snowflake(path.substr(channels.size(), path.size() - channels.size() - messages.size()));
    if (!channel_id) return discord_error(404, "404: Not Found", 0);
    if (req.method != "POST") return discord_error(405, "405: Method Not Allowed", 0);
    if (rest.forced_429 > 0) return rate_limited(hub);
    return create_message(hub, *channel_id, req, now);
  }
  return discord_error(404, "404: Not Found", 0);
}

// The target as the log may show it: a webhook's token is a credential; its query is not.
std::string loggable_path(std::string_view target) {
  std::string path(path_of(target));
  const std::string_view query = target.substr(path.size());
  const auto at = path.find("/webhooks/");
  if (at == std::string::npos) return path.append(query);
  const auto slash = path.find('/', at + 10);
  if (slash != std::string::npos) path.replace(slash + 1, std::string::npos, "<token>");
  return path.append(query);
}

}  // namespace

HttpResponse handle_rest(Hub& hub, const HttpRequest& req, TimePoint now) {
  ++hub.counters().rest_requests;
  HttpResponse r = route(hub, req, now);
  RestState& rest = hub.rest();
  rest.log.push_back(RestState::Logged{req.method, loggable_path(req.target), r.status, micros_since(hub.start(), now)});
  if (rest.log.size() > max_logged) rest.log.pop_front();
  return r;
}

}  // namespace fakecord
