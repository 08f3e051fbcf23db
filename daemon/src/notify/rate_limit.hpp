// What Discord's answer to a POST means for this message and the next: delivered, try again
// after a wait (429 with retry_after, 5xx, no answer), or give up (400/401/403/404: retrying
// cannot help). Keeps when the next request may go: after a 429's retry_after, and when a
// success said X-RateLimit-Remaining: 0, after its X-RateLimit-Reset-After. Pure, on time
// passed in; the notifier feeds it the real answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace megane::daemon {

// The parts of an HTTP answer that matter here.
struct RestReply {
  int status = 0;                  // 0: no answer (transport failure)
  std::string_view body;           // JSON for 429s: {"retry_after": 1.5, "global": false, ...}
  std::string_view retry_after;    // Retry-After header, seconds
  std::string_view remaining;      // X-RateLimit-Remaining
  std::string_view reset_after;    // X-RateLimit-Reset-After, seconds with a fraction
  std::string_view global;         // X-RateLimit-Global
};

enum class SendOutcome { delivered, retry, give_up };

struct SendVerdict {
  SendOutcome outcome = SendOutcome::delivered;
  std::chrono::milliseconds wait{0};  // retry: not before this from now
  std::string reason;                 // retry / give_up: for the log, one line
};

class RestRateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  // 429s are retried this often for one message (each waits its retry_after) ...
  static constexpr std::uint32_t max_rate_limited = 10;
  // ... and transport failures and 5xx this often, waiting 1 s, 2 s, 4 s, 8 s.
  static constexpr std::uint32_t max_failures = 5;
  // A retry_after beyond this is taken as this: a notice that late is still worth sending,
  // one that never goes is not.
  static constexpr std::chrono::milliseconds max_wait{15 * 60 * 1000};

  // `attempt`: 1 for the message's first request. Updates when the next request may go.
  SendVerdict on_reply(const RestReply& reply, std::uint32_t attempt, std::uint32_t rate_limited_before,
                       Clock::time_point now);
  bool may_send(Clock::time_point now) const noexcept { return now >= next_send_at_; }
  Clock::time_point next_send_at() const noexcept { return next_send_at_; }

 private:
  Clock::time_point next_send_at_{};
};

// Seconds as Discord writes them ("1", "0.250", 1.5 in JSON) to milliseconds, rounded up so a
// wait is never shorter than asked. nullopt when not a non-negative number.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text);
// retry_after from a 429's JSON body; nullopt when absent or malformed.
std::optional<std::chrono::milliseconds> body_retry_after(std::string_view body);

}  // namespace megane::daemon
