// fakecord's identify limits on virtual time: one IDENTIFY per bucket (shard % max_concurrency)
// per window, the daily session budget, and burst pacing.
#include <string>

#include <fmt/format.h>

#include "catch.hpp"
#include "fakecord/burst.hpp"
#include "fakecord/gateway_connection.hpp"
#include "fakecord/hub.hpp"
#include "fakecord/identify_limiter.hpp"

using namespace fakecord;
using namespace std::chrono_literals;

namespace {

const TimePoint t0{};

std::string identify(std::uint32_t shard, std::uint32_t total) {
  return fmt::format(R"({{"op":2,"d":{{"token":"t","intents":1,"shard":[{},{}],"properties":{{"os":"l","browser":"b","device":"d"}}}}}})",
                     shard, total);
}

// What one connection answers to an IDENTIFY: "READY", "op9" or "close".
std::string identify_on_new_connection(Hub& hub, std::uint32_t shard, std::uint32_t total, TimePoint now) {
  GatewayConnection c(hub, ConnectionParams{}, now);
  c.set_high_water(SIZE_MAX);
  c.open(now);
  std::string bytes;
  c.outbox().take(bytes);  // HELLO
  c.on_message(identify(shard, total), now);
  c.pump();
  c.outbox().take(bytes);
  if (bytes.find("\"t\":\"READY\"") != std::string::npos) return "READY";
  if (bytes.find("\"op\":9") != std::string::npos) return "op9";
  return "close";
}

Options options(std::uint32_t max_concurrency) {
  Options o;
  o.token = "t";
  o.guilds = 8;
  o.members_per_guild = 2;
  o.max_concurrency = max_concurrency;
  o.identify_window_ms = 5000;
  return o;
}

}  // namespace

TEST_CASE("fakecord identify limiter: one IDENTIFY per bucket per window", "[fakecord]") {
  IdentifyLimiter limiter(4, 5000ms);
  CHECK(limiter.bucket(0) == 0);
  CHECK(limiter.bucket(5) == 1);
  CHECK(limiter.try_acquire(0, t0));
  CHECK(limiter.try_acquire(1, t0));   // another bucket: concurrent
  CHECK(limiter.try_acquire(3, t0));
  CHECK_FALSE(limiter.try_acquire(4, t0 + 1s));  // bucket 0 again
  CHECK(limiter.wait_time(4, t0 + 1s) == 4000ms);
  CHECK_FALSE(limiter.try_acquire(4, t0 + 4999ms));
  CHECK(limiter.try_acquire(4, t0 + 5000ms));
  CHECK_FALSE(limiter.allowed(0, t0 + 9999ms));  // the window restarted at 5000 ms
  CHECK(limiter.allowed(0, t0 + 10000ms));
  CHECK(limiter.wait_time(2, t0) == 0ms);  // never used
}

TEST_CASE("fakecord identify limiter: a rejected attempt does not move the window", "[fakecord]") {
  IdentifyLimiter limiter(1, 5000ms);
  CHECK(limiter.try_acquire(0, t0));
  CHECK_FALSE(limiter.try_acquire(0, t0 + 4s));
  CHECK(limiter.try_acquire(0, t0 + 5s));
}

TEST_CASE("fakecord identify: too early gets op 9 false and is counted", "[fakecord]") {
  Hub hub(options(2), t0);
  CHECK(identify_on_new_connection(hub, 0, 4, t0) == "READY");
  CHECK(identify_on_new_connection(hub, 1, 4, t0 + 10ms) == "READY");  // bucket 1
  CHECK(identify_on_new_connection(hub, 2, 4, t0 + 20ms) == "op9");    // bucket 0, 20 ms later
  CHECK(identify_on_new_connection(hub, 2, 4, t0 + 5000ms) == "READY");
  CHECK(identify_on_new_connection(hub, 3, 4, t0 + 5010ms) == "READY");  // bucket 1, 5 s after shard 1
  const Counters& c = hub.counters();
  CHECK(c.identifies == 4);
  CHECK(c.too_early_identifies == 1);
  CHECK(c.op9_sent == 1);
  CHECK(c.identify_ms_per_bucket.at(0) == std::vector<std::uint64_t>{0, 5000});
  CHECK(c.identify_ms_per_bucket.at(1) == std::vector<std::uint64_t>{10, 5010});
  CHECK(hub.budget().remaining(t0 + 6s) == 996);
  const std::string stats = hub.stats_json(t0 + 6s);
  CHECK(stats.find(R"("per_bucket":{"0":[0,5000],"1":[10,5010]})") != std::string::npos);
  CHECK(stats.find(R"("too_early_identifies":1)") != std::string::npos);
}

TEST_CASE("fakecord identify: an empty session budget answers op 9 until it resets", "[fakecord]") {
  Options o = options(1);
  o.session_total = 5;
  o.session_remaining = 1;
  o.session_reset_ms = 60'000;
  Hub hub(o, t0);
  CHECK(identify_on_new_connection(hub, 0, 1, t0) == "READY");
  CHECK(hub.budget().remaining(t0) == 0);
  CHECK(identify_on_new_connection(hub, 0, 1, t0 + 10s) == "op9");
  CHECK(hub.counters().budget_exhausted_identifies == 1);
  CHECK(hub.budget().reset_after_ms(t0 + 10s) == 50'000);
  CHECK(identify_on_new_connection(hub, 0, 1, t0 + 61s) == "READY");
  CHECK(hub.budget().remaining(t0 + 61s) == 4);
}

TEST_CASE("fakecord identify: session budget object", "[fakecord]") {
  SessionBudget b(3, 2, 1000ms, t0);
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0 + 999ms));
  CHECK(b.remaining(t0 + 1000ms) == 3);
  CHECK(b.reset_after_ms(t0 + 1500ms) == 500);
  b.set(10, 7);
  CHECK(b.remaining(t0 + 1500ms) == 7);
}

TEST_CASE("fakecord burst pacer: unpaced and paced", "[fakecord]") {
  BurstPacer all(1000, 0, t0);
  CHECK(all.due(t0) == 1000);
  all.sent(1000);
  CHECK(all.done());

  BurstPacer paced(100, 10.0, t0);  // 10 per second
  CHECK(paced.due(t0) == 1);
  paced.sent(1);
  CHECK(paced.due(t0 + 50ms) == 0);
  CHECK(paced.next_due() == t0 + 100ms);
  CHECK(paced.due(t0 + 1s) == 10);
  paced.sent(10);
  CHECK(paced.due(t0 + 100s) == 89);
}
