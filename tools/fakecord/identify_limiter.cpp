#include "fakecord/identify_limiter.hpp"

#include <algorithm>

namespace fakecord {

IdentifyLimiter::IdentifyLimiter(std::uint32_t max_concurrency, milliseconds window)
    : window_(window), last_(std::max<std::uint32_t>(1, max_concurrency)) {}

bool IdentifyLimiter::allowed(std::uint32_t shard_id, TimePoint now) const {
  return wait_time(shard_id, now) == milliseconds::zero();
}

void IdentifyLimiter::record(std::uint32_t shard_id, TimePoint now) { last_[bucket(shard_id)] = now; }

bool IdentifyLimiter::try_acquire(std::uint32_t shard_id, TimePoint now) {
  if (!allowed(shard_id, now)) return false;
  record(shard_id, now);
  return true;
}

milliseconds IdentifyLimiter::wait_time(std::uint32_t shard_id, TimePoint now) const {
  const auto& last = last_[bucket(shard_id)];
  if (!last) return milliseconds::zero();
  const TimePoint open_at = *last + window_;
  if (now >= open_at) return milliseconds::zero();
  // Round up: a client told "0 ms" must really be allowed.
  return std::chrono::ceil<milliseconds>(open_at - now);
}

SessionBudget::SessionBudget(std::uint32_t total, std::uint32_t remaining, milliseconds reset_period,
                             TimePoint start)
    : total_(total), remaining_(std::min(total, remaining)), period_(reset_period), reset_at_(start + reset_period) {}

void SessionBudget::refresh(TimePoint now) {
  if (period_ <= milliseconds::zero() || now < reset_at_) return;
  remaining_ = total_;
  while (reset_at_ <= now) reset_at_ += period_;
}

bool SessionBudget::try_take(TimePoint now) {
  refresh(now);
  if (remaining_ == 0) return false;
  --remaining_;
  return true;
}

std::uint32_t SessionBudget::remaining(TimePoint now) {
  refresh(now);
  return remaining_;
}

std::uint64_t SessionBudget::reset_after_ms(TimePoint now) {
  refresh(now);
  return ms_between(now, reset_at_);
}

void SessionBudget::set(std::uint32_t total, std::uint32_t remaining) {
  total_ = total;
  remaining_ = std::min(total, remaining);
}

}  // namespace fakecord
