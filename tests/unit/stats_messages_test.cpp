// The stats range on the wire (proto/stats_messages.hpp): message numbers, golden bytes,
// round trips, and malformed input (truncated, trailing, hostile counts, bad states).
#include <megane/proto/protocol.hpp>
#include <megane/proto/stats_messages.hpp>

#include "catch.hpp"
#include "wire_checks.hpp"

using namespace megane;
using proto::Bytes;
using test::bytes;
using test::check_rejects_truncated_and_trailing;

TEST_CASE("stats messages: numbers in the 0x05xx range", "[proto][stats]") {
  CHECK(static_cast<int>(proto::MessageType::stats_request) == 0x0500);
  CHECK(static_cast<int>(proto::MessageType::stats_report) == 0x0501);
  CHECK(static_cast<int>(proto::MessageType::stats) == 0x0502);
  CHECK(proto::to_string(proto::MessageType::stats_report) == "stats_report");
}

TEST_CASE("StatsRequest: golden bytes and round trip", "[proto][stats]") {
  const Bytes encoded = proto::encode(proto::StatsRequest{0x0102030405060708ull});
  CHECK(encoded == bytes({8, 7, 6, 5, 4, 3, 2, 1}));
  proto::StatsRequest back;
  REQUIRE(proto::decode(encoded, back));
  CHECK(back.collection == 0x0102030405060708ull);
  check_rejects_truncated_and_trailing<proto::StatsRequest>(encoded);
}

TEST_CASE("WorkerStats: golden bytes, round trip, hostile count and bad state", "[proto][stats]") {
  proto::WorkerStats m;
  m.shards.push_back({3, proto::ShardState::ready, 41, 120, 0x1122});
  m.custom_json = "{}";
  m.users = 0x0304;
  const Bytes encoded = proto::encode(m);
  CHECK(encoded == bytes({1, 0, 0, 0,                     // one shard
                          3, 0, 0, 0, 3, 41, 0, 0, 0,     // id 3, ready, 41 ms
                          120, 0, 0, 0,                   // guilds
                          0x22, 0x11, 0, 0, 0, 0, 0, 0,   // events
                          2, 0, 0, 0, '{', '}',           // custom
                          1, 4, 3, 0, 0, 0, 0, 0, 0}));   // users present, 0x0304
  proto::WorkerStats back;
  REQUIRE(proto::decode(encoded, back));
  REQUIRE(back.shards.size() == 1);
  CHECK(back.shards[0].shard_id == 3);
  CHECK(back.shards[0].state == proto::ShardState::ready);
  CHECK(back.shards[0].latency_ms == 41);
  CHECK(back.shards[0].guilds == 120);
  CHECK(back.shards[0].events == 0x1122);
  CHECK(back.custom_json == "{}");
  CHECK(back.users == std::optional<std::uint64_t>(0x0304));
  check_rejects_truncated_and_trailing<proto::WorkerStats>(encoded);

  Bytes bad_state = encoded;
  bad_state[8] = 6;  // past fatal
  CHECK_FALSE(proto::decode(bad_state, back));
  const Bytes huge = bytes({0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0});
  CHECK_FALSE(proto::decode(huge, back));

  // A service: no shards, no custom stats.
  REQUIRE(proto::decode(proto::encode(proto::WorkerStats{}), back));
  CHECK(back.shards.empty());
  CHECK(back.custom_json.empty());
  CHECK_FALSE(back.users.has_value());
}
