// The gateway send limit: 120 payloads per 60 s, with room kept for heartbeats.
#include "catch.hpp"
#include "src/gateway/send_limiter.hpp"

using megane::gateway::SendLimiter;
using namespace std::chrono_literals;

TEST_CASE("send limiter: ordinary payloads stop short of the limit, heartbeats still go", "[gateway]") {
  SendLimiter limiter;
  limiter.reserve_for_heartbeats(41'250ms);  // 1 beat per window + 2
  CHECK(limiter.reserve() == 3);
  const auto t0 = SendLimiter::Clock::time_point{} + 1h;
  int sent = 0;
  while (limiter.wait(false, t0) == SendLimiter::Clock::duration::zero()) {
    limiter.record(t0);
    ++sent;
  }
  CHECK(sent == 117);
  CHECK(limiter.wait(true, t0) == SendLimiter::Clock::duration::zero());
  for (int i = 0; i < 3; ++i) limiter.record(t0);
  CHECK(limiter.wait(true, t0) == 60s);   // full: the oldest leaves the window in 60 s
  CHECK(limiter.wait(false, t0 + 59s) == 1s);
  CHECK(limiter.wait(false, t0 + 60s) == SendLimiter::Clock::duration::zero());
}

TEST_CASE("send limiter: the window slides", "[gateway]") {
  SendLimiter limiter(4, 10s);
  limiter.reserve_for_heartbeats(10s);  // capped at half the limit
  CHECK(limiter.reserve() == 2);
  const auto t0 = SendLimiter::Clock::time_point{} + 1h;
  limiter.record(t0);
  limiter.record(t0 + 3s);
  CHECK(limiter.wait(false, t0 + 4s) == 6s);  // 2 of 4 used, 2 kept for heartbeats
  CHECK(limiter.wait(true, t0 + 4s) == SendLimiter::Clock::duration::zero());
  CHECK(limiter.wait(false, t0 + 10s) == SendLimiter::Clock::duration::zero());
  limiter.reset();
  CHECK(limiter.wait(false, t0) == SendLimiter::Clock::duration::zero());
}
