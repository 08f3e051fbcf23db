// Discord closes a connection that sends more than 120 payloads in 60 s (4008). The limiter
// keeps a sliding window of send times and holds ordinary payloads back once the window is
// full minus a reserve, so heartbeats (which keep the session alive) always find room.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace megane::gateway {

class SendLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  SendLimiter(std::uint32_t limit = 120, Clock::duration window = std::chrono::seconds(60));

  // Payloads kept for heartbeats per window: beats per window plus answers to server op 1.
  void reserve_for_heartbeats(std::chrono::milliseconds heartbeat_interval);
  std::uint32_t reserve() const noexcept { return reserve_; }

  // How long a payload must wait before it may be sent (zero: now).
  Clock::duration wait(bool heartbeat, Clock::time_point now);
  void record(Clock::time_point now);
  // A new connection starts with an empty window.
  void reset() { sent_.clear(); }

 private:
  void expire(Clock::time_point now);

  std::uint32_t limit_;
  Clock::duration window_;
  std::uint32_t reserve_ = 3;
  std::deque<Clock::time_point> sent_;  // oldest first, at most limit_
};

}  // namespace megane::gateway
