// The store engine on virtual time: every op, its conditions, and the effects it logs.
#include "store/store.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "catch.hpp"

using namespace megane::daemon;

namespace {

constexpr UnixMs t0 = 1'700'000'000'000;

using Dump = std::vector<std::tuple<std::string, std::string, UnixMs>>;

Dump dump(const Store& store, UnixMs now) {
  Dump out;
  store.visit("", now, [&](std::string_view k, std::string_view v, UnixMs at) {
    out.emplace_back(std::string(k), std::string(v), at);
    return true;
  });
  return out;
}

std::vector<std::string> scan_all(const Store& store, std::string_view prefix, std::size_t count,
                                  UnixMs now) {
  std::vector<std::string> out;
  std::string cursor;
  do {
    auto page = store.keys(prefix, cursor, count, now);
    out.insert(out.end(), page.keys.begin(), page.keys.end());
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return out;
}

}  // namespace

TEST_CASE("store: set, get and del, with the effects they log", "[store]") {
  Store s;
  CHECK_FALSE(s.get("a", t0));

  auto r = s.set("a", "1", t0);
  CHECK(r.applied);
  REQUIRE(r.record);
  CHECK(*r.record == LogRecord::make_set("a", "1", 0));
  CHECK(s.get("a", t0) == "1");
  CHECK(s.size() == 1);

  s.set("a", std::string("\0\xff", 2), t0);  // values are bytes
  CHECK(s.get("a", t0) == std::string("\0\xff", 2));

  auto d = s.del("a", t0);
  CHECK(d.applied);
  REQUIRE(d.record);
  CHECK(*d.record == LogRecord::make_del("a"));
  CHECK_FALSE(s.get("a", t0));
  auto again = s.del("a", t0);
  CHECK_FALSE(again.applied);
  CHECK_FALSE(again.record);
  CHECK(s.size() == 0);

  CHECK(s.set("", "empty key", t0).applied);
  CHECK(s.get("", t0) == "empty key");
}

TEST_CASE("store: set conditions", "[store]") {
  Store s;
  SECTION("if_absent") {
    CHECK(s.set("k", "1", t0, 0, SetCondition::if_absent).applied);
    auto r = s.set("k", "2", t0, 0, SetCondition::if_absent);
    CHECK_FALSE(r.applied);
    CHECK_FALSE(r.record);
    CHECK(s.get("k", t0) == "1");
  }
  SECTION("if_present") {
    CHECK_FALSE(s.set("k", "1", t0, 0, SetCondition::if_present).applied);
    CHECK_FALSE(s.get("k", t0));
    s.set("k", "1", t0);
    CHECK(s.set("k", "2", t0, 0, SetCondition::if_present).applied);
    CHECK(s.get("k", t0) == "2");
  }
  SECTION("an expired key counts as absent") {
    s.set("k", "1", t0, 100);
    CHECK_FALSE(s.set("k", "2", t0 + 100, 0, SetCondition::if_present).applied);
    CHECK(s.set("k", "3", t0 + 100, 0, SetCondition::if_absent).applied);
    CHECK(s.get("k", t0 + 100) == "3");
  }
}

TEST_CASE("store: TTL on virtual time", "[store]") {
  Store s;
  auto r = s.set("k", "v", t0, 1000);
  REQUIRE(r.record);
  CHECK(r.record->at_ms == t0 + 1000);
  CHECK(s.expiry("k", t0) == t0 + 1000);
  CHECK(s.get("k", t0 + 999) == "v");
  CHECK_FALSE(s.get("k", t0 + 1000));  // due at exactly its expiry
  CHECK(s.size() == 0);                 // removed lazily on access

  SECTION("a plain set clears the TTL") {
    s.set("k", "v", t0, 1000);
    s.set("k", "w", t0 + 10);
    CHECK(s.expiry("k", t0 + 10) == 0);
    CHECK(s.get("k", t0 + 5000) == "w");
    CHECK(s.keys_with_expiry() == 0);
  }
  SECTION("a set with a TTL replaces the old one") {
    s.set("k", "v", t0, 1000);
    s.set("k", "v", t0, 5000);
    CHECK(s.expiry("k", t0) == t0 + 5000);
    CHECK(s.keys_with_expiry() == 1);
  }
  SECTION("huge TTLs saturate instead of overflowing") {
    s.set("k", "v", t0, std::numeric_limits<std::int64_t>::max());
    CHECK(s.expiry("k", t0) == std::numeric_limits<UnixMs>::max());
    CHECK(expiry_from_ttl(t0, -5) == 0);
  }
  CHECK_FALSE(s.expiry("missing", t0));
}

TEST_CASE("store: expire sets, replaces and removes a TTL", "[store]") {
  Store s;
  CHECK_FALSE(s.expire("k", 100, t0).applied);
  s.set("k", "v", t0);
  auto r = s.expire("k", 100, t0);
  CHECK(r.applied);
  REQUIRE(r.record);
  CHECK(*r.record == LogRecord::make_expire("k", t0 + 100));
  CHECK(s.expiry("k", t0) == t0 + 100);

  auto p = s.expire("k", 0, t0 + 50);  // persist
  CHECK(p.applied);
  CHECK(*p.record == LogRecord::make_expire("k", 0));
  CHECK(s.get("k", t0 + 10'000) == "v");

  s.expire("k", 10, t0);
  CHECK_FALSE(s.expire("k", 1000, t0 + 10).applied);  // already expired
}

TEST_CASE("store: increment", "[store]") {
  Store s;
  SECTION("an absent key counts as 0 and the result is logged as a Set") {
    auto r = s.increment("n", 5, t0);
    CHECK(r.error == IncrementError::none);
    CHECK(r.value == 5);
    REQUIRE(r.record);
    CHECK(*r.record == LogRecord::make_set("n", "5", 0));
    CHECK(s.increment("n", -7, t0).value == -2);
    CHECK(s.get("n", t0) == "-2");
    CHECK(s.increment("n", 2, t0).value == 0);
    CHECK(s.get("n", t0) == "0");
  }
  SECTION("the TTL is kept") {
    s.set("n", "10", t0, 1000);
    auto r = s.increment("n", 1, t0 + 1);
    CHECK(r.value == 11);
    CHECK(r.record->at_ms == t0 + 1000);
    CHECK(s.expiry("n", t0 + 1) == t0 + 1000);
    CHECK(s.increment("n", 1, t0 + 1000).value == 1);  // expired: starts again from 0
    CHECK(s.expiry("n", t0 + 1000) == 0);
  }
  SECTION("non-canonical text is not an integer") {
    for (const char* text : {"abc", "", "+1", "01", "-0", "-", " 1", "1 ", "1.5", "0x10", "--1",
                             "9223372036854775808", "-9223372036854775809"}) {
      s.set("n", text, t0);
      auto r = s.increment("n", 1, t0);
      INFO(text);
      CHECK(r.error == IncrementError::not_integer);
      CHECK_FALSE(r.record);
      CHECK(s.get("n", t0) == text);
    }
  }
  SECTION("overflow in both directions leaves the value alone") {
    s.set("n", "9223372036854775807", t0);
    CHECK(s.increment("n", 1, t0).error == IncrementError::overflow);
    CHECK(s.increment("n", 0, t0).value == std::numeric_limits<std::int64_t>::max());
    s.set("n", "-9223372036854775808", t0);
    CHECK(s.increment("n", -1, t0).error == IncrementError::overflow);
    CHECK(s.get("n", t0) == "-9223372036854775808");
    CHECK(s.increment("n", std::numeric_limits<std::int64_t>::max(), t0).value == -1);
  }
}

TEST_CASE("store: canonical int64 parsing", "[store]") {
  CHECK(parse_canonical_int64("0") == 0);
  CHECK(parse_canonical_int64("-1") == -1);
  CHECK(parse_canonical_int64("1234567890") == 1234567890);
  CHECK(parse_canonical_int64("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_canonical_int64("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
  CHECK_FALSE(parse_canonical_int64("00"));
  CHECK_FALSE(parse_canonical_int64("-01"));
  CHECK_FALSE(parse_canonical_int64("+0"));
}

TEST_CASE("store: compare_and_set", "[store]") {
  Store s;
  SECTION("nullopt expects the key to be absent") {
    auto r = s.compare_and_set("k", std::nullopt, "1", 0, t0);
    CHECK(r.applied);
    CHECK(*r.record == LogRecord::make_set("k", "1", 0));
    CHECK_FALSE(s.compare_and_set("k", std::nullopt, "2", 0, t0).applied);
    CHECK(s.get("k", t0) == "1");
  }
  SECTION("a value must match exactly") {
    s.set("k", "1", t0);
    CHECK_FALSE(s.compare_and_set("k", "2", "3", 0, t0).applied);
    CHECK_FALSE(s.compare_and_set("k", "1 ", "3", 0, t0).applied);
    auto r = s.compare_and_set("k", "1", "3", 500, t0);
    CHECK(r.applied);
    CHECK(r.record->at_ms == t0 + 500);
    CHECK(s.get("k", t0) == "3");
    CHECK_FALSE(s.compare_and_set("missing", "1", "3", 0, t0).applied);
  }
  SECTION("an expired key is absent") {
    s.set("k", "1", t0, 10);
    CHECK_FALSE(s.compare_and_set("k", "1", "2", 0, t0 + 10).applied);
    CHECK(s.compare_and_set("k", std::nullopt, "2", 0, t0 + 10).applied);
  }
}

TEST_CASE("store: keys by prefix in byte order, page by page", "[store]") {
  Store s;
  for (const char* k : {"user:3", "user:1", "guild:1", "user:2", "user", "users", "v"}) s.set(k, "x", t0);
  CHECK(scan_all(s, "user:", 100, t0) == std::vector<std::string>{"user:1", "user:2", "user:3"});
  CHECK(scan_all(s, "user", 2, t0) ==
        std::vector<std::string>{"user", "user:1", "user:2", "user:3", "users"});
  CHECK(scan_all(s, "", 1, t0).size() == 7);
  CHECK(scan_all(s, "nope", 10, t0).empty());

  auto first = s.keys("user:", "", 2, t0);
  CHECK(first.keys == std::vector<std::string>{"user:1", "user:2"});
  CHECK(first.next_cursor == "user:3");
  auto last = s.keys("user:", first.next_cursor, 2, t0);
  CHECK(last.keys == std::vector<std::string>{"user:3"});
  CHECK(last.next_cursor.empty());
  // An exact fit ends without an empty extra page.
  CHECK(s.keys("user:", "", 3, t0).next_cursor.empty());

  SECTION("count is clamped to 1..1000") {
    for (int i = 0; i < 1500; ++i) s.set("n:" + std::to_string(10000 + i), "x", t0);
    CHECK(s.keys("n:", "", 0, t0).keys.size() == 1);
    CHECK(s.keys("n:", "", 5000, t0).keys.size() == Store::max_scan_count);
  }
  SECTION("expired keys are skipped") {
    s.set("user:2", "x", t0, 5);
    CHECK(scan_all(s, "user:", 1, t0 + 5) == std::vector<std::string>{"user:1", "user:3"});
  }
}

TEST_CASE("store: a scan returns every stable key once while others come and go", "[store]") {
  Store s;
  std::mt19937 rng(42);
  std::set<std::string> stable;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "p:" + std::to_string(rng() % 100000);
    if (i % 3 == 0) {
      s.set(key + "~volatile", "v", t0);
    } else {
      s.set(key, "v", t0);
      stable.insert(key);
    }
  }
  s.set("q:outside", "v", t0);

  std::multiset<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = s.keys("p:", cursor, 7, t0);
    seen.insert(page.keys.begin(), page.keys.end());
    cursor = page.next_cursor;
    ++pages;
    // Between pages: new keys everywhere (before and after the cursor), volatile ones deleted.
    for (int j = 0; j < 5; ++j) s.set("p:" + std::to_string(rng() % 100000) + "~new", "n", t0);
    for (int j = 0; j < 3; ++j) {
      auto any = s.keys("p:", "p:" + std::to_string(rng() % 100000), 50, t0);
      for (const auto& k : any.keys) {
        if (k.ends_with("~volatile") || k.ends_with("~new")) {
          s.del(k, t0);
          break;
        }
      }
    }
  } while (!cursor.empty());

  CHECK(pages > 30);
  for (const auto& k : stable) {
    INFO(k);
    CHECK(seen.count(k) == 1);
  }
  for (const auto& k : seen) CHECK(seen.count(k) == 1);  // nothing twice
  CHECK(seen.count("q:outside") == 0);
}

TEST_CASE("store: active expiry removes due keys incrementally", "[store]") {
  Store s;
  for (int i = 0; i < 10; ++i) s.set("t" + std::to_string(i), "v", t0, 100 + i);
  s.set("forever", "v", t0);
  CHECK(s.size() == 11);
  CHECK(s.expire_some(t0 + 99, 100) == 0);
  CHECK(s.expire_some(t0 + 105, 3) == 3);  // bounded work
  CHECK(s.size() == 8);
  CHECK(s.expire_some(t0 + 105, 100) == 3);
  CHECK(s.expire_some(t0 + 1000, 100) == 4);
  CHECK(s.size() == 1);
  CHECK(s.keys_with_expiry() == 0);
  CHECK(s.get("forever", t0 + 1000) == "v");
}

TEST_CASE("store: replaying the logged effects rebuilds the same store", "[store]") {
  Store live;
  Store replayed;
  std::vector<LogRecord> log;
  std::mt19937 rng(7);
  UnixMs now = t0;
  const auto keep = [&](const std::optional<LogRecord>& r) {
    if (r) log.push_back(*r);
  };
  for (int i = 0; i < 5000; ++i) {
    now += rng() % 3;
    const std::string key = "k" + std::to_string(rng() % 50);
    switch (rng() % 7) {
      case 0: keep(live.set(key, std::to_string(rng()), now).record); break;
      case 1: keep(live.set(key, "t", now, 1 + rng() % 50).record); break;
      case 2: keep(live.del(key, now).record); break;
      case 3: keep(live.increment(key, static_cast<std::int64_t>(rng() % 10) - 5, now).record); break;
      case 4: keep(live.expire(key, rng() % 2 ? 0 : 1 + rng() % 50, now).record); break;
      case 5: keep(live.compare_and_set(key, std::nullopt, "c", 0, now).record); break;
      case 6: keep(live.set(key, "p", now, 0, SetCondition::if_present).record); break;
    }
  }
  for (const auto& r : log) replayed.apply(r);
  replayed.expire_some(now, std::numeric_limits<std::size_t>::max());
  CHECK(dump(replayed, now) == dump(live, now));
  CHECK(dump(live, now).size() > 5);
}

TEST_CASE("store: replay keeps a key whose old expiry passed but was later extended", "[store]") {
  // Replay is time-free: expiring during replay would drop the key before the Expire record that
  // extended it is applied.
  Store s;
  s.apply(LogRecord::make_set("k", "v", t0 + 100));
  s.apply(LogRecord::make_expire("k", t0 + 5000));
  s.apply(LogRecord::make_expire("missing", t0 + 5000));  // no-op
  s.expire_some(t0 + 200, 100);
  CHECK(s.get("k", t0 + 200) == "v");
  CHECK(s.expiry("k", t0 + 200) == t0 + 5000);
  CHECK_FALSE(s.get("missing", t0 + 200));
}
