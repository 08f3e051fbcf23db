// The identify authority on virtual time: buckets, windows, shard order, the daily budget.
#include "gateway/identify_queue.hpp"

#include "catch.hpp"

using namespace megane::daemon;
using namespace std::chrono_literals;
using TP = IdentifyQueue::TimePoint;

namespace {

std::vector<std::uint32_t> shards_of(const std::vector<IdentifyQueue::Grant>& grants) {
  std::vector<std::uint32_t> out;
  for (const auto& g : grants) out.push_back(g.shard_id);
  return out;
}

// Grants what is due at `t` and has every shard IDENTIFY at once (as a quick client would).
std::vector<std::uint32_t> identify_at(IdentifyQueue& q, TP t) {
  const auto grants = q.poll(t);
  for (const auto& g : grants) q.complete(g.ticket, true, t);
  return shards_of(grants);
}

}  // namespace

TEST_CASE("identify queue: max_concurrency 1 grants one shard per window in shard order", "[identify]") {
  IdentifyQueue q(1, 5000ms, 0);
  const TP t0 = TP{} + 100s;
  for (std::uint32_t s : {3u, 1u, 0u, 2u}) q.enqueue(s, 7);
  CHECK(identify_at(q, t0) == std::vector<std::uint32_t>{0});
  CHECK(q.poll(t0 + 4999ms).empty());
  CHECK(q.next_wakeup(t0 + 1s) == t0 + 5000ms);
  CHECK(identify_at(q, t0 + 5s) == std::vector<std::uint32_t>{1});
  CHECK(identify_at(q, t0 + 10s) == std::vector<std::uint32_t>{2});
  CHECK(identify_at(q, t0 + 15s) == std::vector<std::uint32_t>{3});
  CHECK(q.waiting() == 0);
  CHECK_FALSE(q.next_wakeup(t0 + 15s).has_value());
}

TEST_CASE("identify queue: max_concurrency 4 starts 16 shards in ceil(16/4) windows", "[identify]") {
  IdentifyQueue q(4, 5000ms, 0);
  const TP t0 = TP{} + 100s;
  for (std::uint32_t s = 0; s < 16; ++s) q.enqueue(s, 1);
  CHECK(identify_at(q, t0) == std::vector<std::uint32_t>{0, 1, 2, 3});
  CHECK(identify_at(q, t0 + 5s) == std::vector<std::uint32_t>{4, 5, 6, 7});
  CHECK(identify_at(q, t0 + 10s) == std::vector<std::uint32_t>{8, 9, 10, 11});
  CHECK(identify_at(q, t0 + 15s) == std::vector<std::uint32_t>{12, 13, 14, 15});
}

TEST_CASE("identify queue: buckets are independent", "[identify]") {
  IdentifyQueue q(2, 5000ms, 0);
  const TP t0 = TP{} + 100s;
  q.enqueue(0, 1);
  CHECK(identify_at(q, t0) == std::vector<std::uint32_t>{0});
  q.enqueue(1, 1);  // bucket 1 was never used: at once
  q.enqueue(2, 1);  // bucket 0: after the window
  CHECK(identify_at(q, t0 + 1s) == std::vector<std::uint32_t>{1});
  CHECK(identify_at(q, t0 + 5s) == std::vector<std::uint32_t>{2});
}

TEST_CASE("identify queue: never below the reserve, and says why", "[identify]") {
  IdentifyQueue q(16, 5000ms, 8);
  const TP t0 = TP{} + 100s;
  q.set_budget(10, 3600s, t0);
  for (std::uint32_t s = 0; s < 5; ++s) q.enqueue(s, 1);
  const auto first = q.poll(t0);
  CHECK(first.size() == 2);  // 10 left, 8 kept: two may go
  CHECK(q.poll(t0 + 10s).empty());
  CHECK(q.blocked_reason(t0 + 10s).find("keeping a reserve of 8") != std::string::npos);
  CHECK_FALSE(q.next_wakeup(t0 + 10s).has_value());
  // One permit was not used after all: it goes back to the budget.
  q.complete(first[0].ticket, false, t0 + 10s);
  CHECK(q.remaining() == 10);
  CHECK(q.poll(t0 + 10s).size() == 1);
  q.complete(first[1].ticket, true, t0 + 10s);
  CHECK(q.remaining() == 9);
  CHECK(q.poll(t0 + 20s).empty());  // 9 left, 1 in flight, 8 kept
}

TEST_CASE("identify queue: a dead owner's waiting shards are dropped and its permits revoked", "[identify]") {
  IdentifyQueue q(1, 5000ms, 0);
  const TP t0 = TP{} + 100s;
  q.set_budget(100, 3600s, t0);
  q.enqueue(0, 1);
  q.enqueue(1, 1);
  q.enqueue(2, 2);
  CHECK(q.poll(t0).size() == 1);  // shard 0, owner 1
  CHECK(q.in_flight() == 1);
  q.cancel_owner(1, t0 + 1s);
  CHECK(q.in_flight() == 0);
  CHECK(q.remaining() == 99);  // assumed sent: the safe side
  CHECK(q.waiting() == 1);
  CHECK(identify_at(q, t0 + 5s) == std::vector<std::uint32_t>{});  // shard 0 may have just sent
  CHECK(identify_at(q, t0 + 6s) == std::vector<std::uint32_t>{2});
}

TEST_CASE("identify queue: the window counts from the IDENTIFY, not from the grant", "[identify]") {
  IdentifyQueue q(1, 5000ms, 0);
  const TP t0 = TP{} + 100s;
  q.enqueue(0, 1);
  q.enqueue(1, 1);
  const auto first = q.poll(t0);
  REQUIRE(first.size() == 1);
  CHECK(q.poll(t0 + 6s).empty());       // shard 0 is still connecting: its bucket stays shut
  q.complete(first[0].ticket, true, t0 + 2s);  // it sent IDENTIFY 2 s after its grant
  CHECK(q.poll(t0 + 6s).empty());
  CHECK(q.next_wakeup(t0 + 6s) == t0 + 7s);
  CHECK(shards_of(q.poll(t0 + 7s)) == std::vector<std::uint32_t>{1});
}

TEST_CASE("identify queue: a permit never reported frees its bucket after the hold limit", "[identify]") {
  IdentifyQueue q(1, 5000ms, 0);
  const TP t0 = TP{} + 100s;
  q.enqueue(0, 1);
  q.enqueue(1, 1);
  REQUIRE(q.poll(t0).size() == 1);
  CHECK(q.poll(t0 + IdentifyQueue::hold_limit - 1ms).empty());
  CHECK(shards_of(q.poll(t0 + IdentifyQueue::hold_limit)) == std::vector<std::uint32_t>{1});
}

TEST_CASE("identify queue: an unused permit reopens its bucket a window after the grant", "[identify]") {
  IdentifyQueue q(1, 5000ms, 0);
  const TP t0 = TP{} + 100s;
  q.enqueue(0, 1);
  q.enqueue(1, 1);
  const auto first = q.poll(t0);
  q.complete(first[0].ticket, false, t0 + 1s);
  CHECK(q.poll(t0 + 4s).empty());
  CHECK(shards_of(q.poll(t0 + 5s)) == std::vector<std::uint32_t>{1});
}

TEST_CASE("identify queue: a shard asking twice keeps one place in the queue", "[identify]") {
  IdentifyQueue q(1, 5000ms, 0);
  const auto a = q.enqueue(4, 1);
  const auto b = q.enqueue(4, 2);
  CHECK(a == b);
  CHECK(q.waiting() == 1);
  const auto grants = q.poll(TP{} + 1s);
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].owner == 2);
}

TEST_CASE("identify queue: the default reserve is the shard count or 5 % of the day", "[identify]") {
  CHECK(default_identify_reserve(16, 1000) == 50);
  CHECK(default_identify_reserve(160, 1000) == 160);
  CHECK(default_identify_reserve(1, 0) == 1);
}

TEST_CASE("identify queue: the margin is added after each IDENTIFY", "[identify]") {
  IdentifyQueue q(1, 5000ms, 0, 125ms);
  const TP t0 = TP{} + 100s;
  q.enqueue(0, 1);
  q.enqueue(1, 1);
  CHECK(identify_at(q, t0) == std::vector<std::uint32_t>{0});
  CHECK(q.poll(t0 + 5s).empty());
  CHECK(identify_at(q, t0 + 5125ms) == std::vector<std::uint32_t>{1});
}
