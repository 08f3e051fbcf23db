#include "restart_policy.hpp"

#include <algorithm>

namespace megane::daemon {

RestartPolicy::RestartPolicy(const SupervisionConfig& config, std::uint64_t seed)
    : config_(config), rng_(seed) {}

void RestartPolicy::on_spawn(TimePoint now) {
  last_spawn_ = now;
  ready_since_.reset();
}

void RestartPolicy::on_ready(TimePoint now) { ready_since_ = now; }

bool RestartPolicy::on_failure(TimePoint now) {
  // A child that stayed ready long enough earned a fresh start: its next crash is "the first".
  if (ready_since_ && now - *ready_since_ >= config_.stable_after) consecutive_ = 0;
  ready_since_.reset();
  ++consecutive_;
  forget_old(now);
  failures_.push_back(now);
  return failures_.size() >= config_.crash_limit;
}

void RestartPolicy::reset() {
  consecutive_ = 0;
  failures_.clear();
}

RestartPolicy::Clock::duration RestartPolicy::next_delay(TimePoint now) {
  Clock::duration delay{0};
  if (consecutive_ > 0) {
    // initial * 2^(n-1), capped; jitter draws from [delay/2, delay] so that clusters that
    // crashed together do not come back in lockstep.
    const auto cap = std::chrono::duration_cast<Clock::duration>(config_.backoff_max);
    Clock::duration grown = config_.backoff_initial;
    for (std::uint32_t i = 1; i < consecutive_ && grown < cap; ++i) grown *= 2;
    grown = std::min(grown, cap);
    std::uniform_int_distribution<Clock::rep> jitter(grown.count() / 2, grown.count());
    delay = Clock::duration{jitter(rng_)};
  }
  if (last_spawn_) {
    const auto earliest = *last_spawn_ + config_.min_spawn_gap;
    if (earliest > now) delay = std::max(delay, earliest - now);
  }
  return delay;
}

void RestartPolicy::forget_old(TimePoint now) {
  while (!failures_.empty() && now - failures_.front() >= config_.crash_window) failures_.pop_front();
}

}  // namespace megane::daemon
