#include "send_limiter.hpp"

#include <algorithm>

namespace megane::gateway {

SendLimiter::SendLimiter(std::uint32_t limit, Clock::duration window) : limit_(limit), window_(window) {}

void SendLimiter::reserve_for_heartbeats(std::chrono::milliseconds heartbeat_interval) {
  const auto per_window = heartbeat_interval.count() > 0
                              ? std::chrono::duration_cast<std::chrono::milliseconds>(window_).count() /
                                    heartbeat_interval.count()
                              : 0;
  // +2: one beat more than the quotient when the phases line up, one answer to a server op 1.
  const auto wanted = static_cast<std::uint32_t>(std::min<long long>(per_window + 2, limit_ / 2));
  reserve_ = std::max<std::uint32_t>(wanted, 1);
}

void SendLimiter::expire(Clock::time_point now) {
  while (!sent_.empty() && sent_.front() + window_ <= now) sent_.pop_front();
}

SendLimiter::Clock::duration SendLimiter::wait(bool heartbeat, Clock::time_point now) {
  expire(now);
  const std::size_t cap = heartbeat ? limit_ : limit_ - reserve_;
  if (sent_.size() < cap) return Clock::duration::zero();
  // The payload may go once enough of the oldest sends have left the window.
  const std::size_t must_expire = sent_.size() - cap;  // index of the send that has to age out
  return sent_[must_expire] + window_ - now;
}

void SendLimiter::record(Clock::time_point now) {
  expire(now);
  sent_.push_back(now);
  if (sent_.size() > limit_) sent_.pop_front();
}

}  // namespace megane::gateway
