#include "notify/rate_limit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

namespace megane::daemon {

namespace {

using std::chrono::milliseconds;

std::optional<milliseconds> from_seconds(double s) {
  if (!std::isfinite(s) || s < 0) return std::nullopt;
  const double ms = std::ceil(s * 1000.0 - 1e-6);  // 0.25 s is 250 ms, not 251 from float noise
  if (ms > 1e12) return milliseconds(static_cast<std::int64_t>(1e12));
  return milliseconds(static_cast<std::int64_t>(std::max(0.0, ms)));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Discord's error bodies are {"message": "...", "code": N}: enough to say what went wrong.
std::string describe_body(std::string_view body) {
  // An empty view may carry a null pointer, which simdjson would hand to memcpy.
  if (body.empty()) return {};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view message;
  std::int64_t code = 0;
  if (parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS &&
      doc["message"].get_string().get(message) == simdjson::SUCCESS) {
    if (message.size() > 200) message = message.substr(0, 200);
    if (doc["code"].get_int64().get(code) == simdjson::SUCCESS && code != 0)
      return fmt::format(": {} (code {})", message, code);
    return fmt::format(": {}", message);
  }
  return {};
}

}  // namespace

std::optional<milliseconds> parse_seconds(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return from_seconds(value);
}

std::optional<milliseconds> body_retry_after(std::string_view body) {
  if (body.empty()) return std::nullopt;  // null data: see describe_body
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  double seconds = 0;
  if (doc["retry_after"].get_double().get(seconds) == simdjson::SUCCESS) return from_seconds(seconds);
  std::int64_t whole = 0;  // simdjson keeps integers apart from doubles
  if (doc["retry_after"].get_int64().get(whole) == simdjson::SUCCESS) return from_seconds(static_cast<double>(whole));
  return std::nullopt;
}

SendVerdict RestRateLimit::on_reply(const RestReply& reply, std::uint32_t attempt, std::uint32_t rate_limited_before,
                                    Clock::time_point now) {
  SendVerdict v;
  if (reply.status == 429) {
    // The body's retry_after is exact; Retry-After is whole seconds (and the only one in a
    // 429 that does not come from the API itself, such as Cloudflare's); the bucket's reset is
    // the last resort.
    std::optional<milliseconds> wait = body_retry_after(reply.body);
    const char* source = "retry_after";
    if (!wait) {
      wait = parse_seconds(reply.retry_after);
      source = "Retry-After";
    }
    if (!wait) {
      wait = parse_seconds(reply.reset_after);
      source = "X-RateLimit-Reset-After";
    }
    if (!wait) {
      wait = milliseconds(1000);
      source = "no retry_after given, waiting";
    }
    const milliseconds w = std::min(*wait, max_wait);
    next_send_at_ = std::max(next_send_at_, now + w);
    v.wait = w;
    const bool global = trim(reply.global) == "true";
    if (rate_limited_before + 1 >= max_rate_limited) {
      v.outcome = SendOutcome::give_up;
      v.reason = fmt::format("rate limited {} times in a row (HTTP 429)", rate_limited_before + 1);
    } else {
      v.outcome = SendOutcome::retry;
      v.reason = fmt::format("rate limited{} (HTTP 429, {} {} ms)", global ? " globally" : "", source, w.count());
    }
    return v;
  }

  // Any other answer may still say the bucket is empty: wait for its reset before the next.
  if (reply.status != 0 && trim(reply.remaining) == "0") {
    if (auto reset = parse_seconds(reply.reset_after)) next_send_at_ = std::max(next_send_at_, now + std::min(*reset, max_wait));
  }
  if (reply.status >= 200 && reply.status < 300) {
    v.outcome = SendOutcome::delivered;
    return v;
  }
  if (reply.status == 0 || reply.status >= 500) {
    const std::uint32_t failures = attempt - rate_limited_before;  // this one included
    if (failures >= max_failures) {
      v.outcome = SendOutcome::give_up;
      v.reason = fmt::format("{} failed attempts", failures);
      return v;
    }
    const milliseconds w(1000LL << std::min<std::uint32_t>(failures - 1, 6));
    next_send_at_ = std::max(next_send_at_, now + w);
    v.outcome = SendOutcome::retry;
    v.wait = w;
    v.reason = reply.status == 0 ? "no answer" : fmt::format("HTTP {}{}", reply.status, describe_body(reply.body));
    return v;
  }
  // 400 (a message Discord refuses), 401 (token), 403 (permissions), 404 (no such channel or
  // webhook): the same request would fail again.
  v.outcome = SendOutcome::give_up;
  v.reason = fmt::format("HTTP {}{}", reply.status, describe_body(reply.body));
  return v;
}

}  // namespace megane::daemon
