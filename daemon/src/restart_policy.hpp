// When to restart a child after it failed: growing backoff with jitter, a minimum gap between
// spawns, and a crash window that turns a crash loop into quarantine. Time is passed in, so the
// policy runs on virtual time in tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>

#include "config.hpp"

namespace megane::daemon {

class RestartPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  RestartPolicy(const SupervisionConfig& config, std::uint64_t seed);

  void on_spawn(TimePoint now);
  void on_ready(TimePoint now);
  // Records a failure (crash, hang). Returns true when the crash window is now full, i.e. the
  // child should be quarantined instead of restarted.
  bool on_failure(TimePoint now);
  // An operator restart forgives past failures.
  void reset();

  // How long to wait before the next spawn: backoff for consecutive failures (0 after none),
  // with jitter, but never sooner than min_spawn_gap after the previous spawn.
  Clock::duration next_delay(TimePoint now);

  std::uint32_t consecutive_failures() const noexcept { return consecutive_; }
  std::size_t failures_in_window() const noexcept { return failures_.size(); }

 private:
  void forget_old(TimePoint now);

  const SupervisionConfig& config_;
  std::mt19937_64 rng_;
  std::optional<TimePoint> last_spawn_;
  std::optional<TimePoint> ready_since_;
  std::uint32_t consecutive_ = 0;
  std::deque<TimePoint> failures_;
};

}  // namespace megane::daemon
