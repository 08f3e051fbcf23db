// The restart policy on virtual time: no sleeps, exact expectations.
#include "restart_policy.hpp"

#include "catch.hpp"

using namespace megane::daemon;
using namespace std::chrono_literals;
using TP = RestartPolicy::TimePoint;

namespace {

SupervisionConfig config() {
  SupervisionConfig c;
  c.backoff_initial = 1000ms;
  c.backoff_max = 8000ms;
  c.min_spawn_gap = 500ms;
  c.stable_after = 60s;
  c.crash_window = 60s;
  c.crash_limit = 5;
  return c;
}

}  // namespace

TEST_CASE("restart policy: first spawn and a clean slate wait for nothing", "[restart_policy]") {
  const auto cfg = config();
  RestartPolicy p(cfg, 1);
  CHECK(p.next_delay(TP{} + 100s) == 0ms);
}

TEST_CASE("restart policy: backoff doubles with jitter in [half, full] and is capped", "[restart_policy]") {
  const auto cfg = config();
  const std::chrono::milliseconds expected_full[] = {1000ms, 2000ms, 4000ms, 8000ms, 8000ms, 8000ms};
  TP now;
  // Drive consecutive failures without reset, spaced beyond the window to avoid quarantine.
  RestartPolicy q(cfg, 7);
  now = TP{} + 5000s;
  for (auto full : expected_full) {
    q.on_spawn(now);
    now += 61s;
    CHECK_FALSE(q.on_failure(now));
    const auto d = q.next_delay(now);
    CHECK(d >= full / 2);
    CHECK(d <= full);
  }
  CHECK(q.consecutive_failures() == 6);
}

TEST_CASE("restart policy: never spawn sooner than min_spawn_gap after the last spawn", "[restart_policy]") {
  auto cfg = config();
  cfg.min_spawn_gap = 3000ms;
  RestartPolicy p(cfg, 3);
  const TP t0 = TP{} + 100s;
  p.on_spawn(t0);
  p.reset();  // an operator restart: no backoff, only the gap applies
  CHECK(p.next_delay(t0 + 1s) == 2000ms);
  CHECK(p.next_delay(t0 + 5s) == 0ms);
}

TEST_CASE("restart policy: crash_limit failures within the window mean quarantine", "[restart_policy]") {
  const auto cfg = config();
  RestartPolicy p(cfg, 9);
  TP now = TP{} + 100s;
  for (int i = 1; i < 5; ++i) {
    p.on_spawn(now);
    now += 2s;
    CHECK_FALSE(p.on_failure(now));
  }
  p.on_spawn(now);
  now += 2s;
  CHECK(p.on_failure(now));  // the 5th within 60 s
}

TEST_CASE("restart policy: failures older than the window are forgotten", "[restart_policy]") {
  const auto cfg = config();
  RestartPolicy p(cfg, 9);
  TP now = TP{} + 100s;
  for (int i = 0; i < 4; ++i) {
    now += 2s;
    CHECK_FALSE(p.on_failure(now));
  }
  now += 61s;
  CHECK_FALSE(p.on_failure(now));
  CHECK(p.failures_in_window() == 1);
}

TEST_CASE("restart policy: staying ready past stable_after resets the backoff", "[restart_policy]") {
  const auto cfg = config();
  RestartPolicy p(cfg, 11);
  TP now = TP{} + 100s;
  for (int i = 0; i < 3; ++i) {
    now += 100s;
    p.on_failure(now);
  }
  CHECK(p.consecutive_failures() == 3);
  p.on_spawn(now);
  p.on_ready(now + 1s);
  now += 70s;  // ready for 69 s > stable_after
  p.on_failure(now);
  CHECK(p.consecutive_failures() == 1);
  const auto d = p.next_delay(now);
  CHECK(d >= 500ms);
  CHECK(d <= 1000ms);
}
