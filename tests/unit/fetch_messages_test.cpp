// Fetch and cache messages on the wire (proto/fetch_messages.hpp): golden bytes, malformed
// input, the merge of per-cluster answers into one outcome per id, and meganectl's output.
#include <megane/proto/fetch_messages.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "wire_checks.hpp"
#include "meganectl/event_output.hpp"
#include "meganectl/fetch_output.hpp"

using namespace megane;
using proto::Bytes;
using test::bytes;
using test::check_rejects_truncated_and_trailing;

namespace {

std::string entries(std::vector<proto::FetchEntry> e) {
  const Bytes b = proto::encode(proto::FetchEntries{std::move(e)});
  return {b.begin(), b.end()};
}

}  // namespace

TEST_CASE("fetch message numbers are in the 0x04xx range", "[proto][fetch]") {
  CHECK(static_cast<int>(proto::MessageType::fetch) == 0x0400);
  CHECK(static_cast<int>(proto::MessageType::fetch_deliver) == 0x0401);
  CHECK(static_cast<int>(proto::MessageType::fetch_result) == 0x0402);
  CHECK(static_cast<int>(proto::MessageType::cache_config) == 0x0403);
  CHECK(static_cast<int>(proto::MessageType::members_cached) == 0x0404);
  CHECK(static_cast<int>(proto::EventKind::all_members_cached) == 19);
  CHECK(static_cast<int>(proto::TargetStatus::not_found) == 5);
  CHECK(proto::to_string(proto::MessageType::fetch_result) == "fetch_result");
  CHECK(proto::to_string(proto::EventKind::all_members_cached) == "all_members_cached");
}

TEST_CASE("FetchRequest: golden bytes, view, bad kind", "[proto][fetch]") {
  const proto::FetchRequest m{proto::FetchKind::guild, true, 500, {0x0102030405060708ull, 9}};
  const Bytes encoded = proto::encode(m);
  CHECK(encoded == bytes({0, 1, 0xF4, 0x01, 0, 0, 2, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1, 9, 0, 0, 0, 0, 0, 0, 0}));
  proto::FetchRequestView view;
  REQUIRE(proto::decode(encoded, view));
  CHECK(view.kind == proto::FetchKind::guild);
  CHECK(view.include_members);
  CHECK(view.timeout_ms == 500);
  REQUIRE(view.count == 2);
  CHECK(view.id(0) == 0x0102030405060708ull);
  CHECK(view.id(1) == 9);
  proto::FetchRequest back;
  REQUIRE(proto::decode(encoded, back));
  CHECK(back.ids == m.ids);
  check_rejects_truncated_and_trailing<proto::FetchRequest>(encoded);
  Bytes bad = encoded;
  bad[0] = 3;  // no such kind
  CHECK_FALSE(proto::decode(bad, view));
  bad = encoded;
  bad[1] = 2;  // include_members is a flag
  CHECK_FALSE(proto::decode(bad, view));
}

TEST_CASE("FetchEntries and CacheConfig: golden bytes", "[proto][fetch]") {
  const Bytes e = proto::encode(proto::FetchEntries{{{7, "{}"}}});
  CHECK(e == bytes({1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, '{', '}'}));
  check_rejects_truncated_and_trailing<proto::FetchEntries>(e);
  proto::FetchEntries back;
  CHECK_FALSE(proto::decode(bytes({0xFF, 0xFF, 0xFF, 0x0F}), back));  // a count the payload cannot hold

  const proto::CacheConfig c{true, false, true, proto::MemberPolicy::own, false};
  const Bytes encoded = proto::encode(c);
  CHECK(encoded == bytes({1, 0, 1, 1, 0}));
  check_rejects_truncated_and_trailing<proto::CacheConfig>(encoded);
  proto::CacheConfig out;
  CHECK_FALSE(proto::decode(bytes({1, 1, 1, 3, 0}), out));  // no such member policy
}

TEST_CASE("resolve_fetch: a hit wins, not found only when every cluster missed, failures otherwise",
          "[proto][fetch]") {
  const std::vector<std::uint64_t> ids{1, 2, 3};
  std::vector<proto::FetchOutcome> out;

  SECTION("hits from two clusters, one id nowhere") {
    proto::BroadcastReply r{{{0, proto::TargetStatus::ok, entries({{1, R"({"id":"1"})"}})},
                             {1, proto::TargetStatus::ok, entries({{2, R"({"id":"2"})"}, {1, "second"}})}}};
    REQUIRE(proto::resolve_fetch(ids, r, out));
    REQUIRE(out.size() == 3);
    CHECK(out[0].status == proto::FetchStatus::found);
    CHECK(out[0].cluster_id == 0);  // the first result in reply order
    CHECK(out[0].json == R"({"id":"1"})");
    CHECK(out[1].status == proto::FetchStatus::found);
    CHECK(out[1].cluster_id == 1);
    CHECK(out[2].status == proto::FetchStatus::not_found);
  }
  SECTION("a cluster that could not answer makes a miss a failure, never a hit") {
    proto::BroadcastReply r{{{0, proto::TargetStatus::not_found, "not cached here"},
                             {1, proto::TargetStatus::unavailable, "cluster 1 is not running (state backoff)"},
                             {2, proto::TargetStatus::ok, entries({{3, "{}"}})}}};
    REQUIRE(proto::resolve_fetch(ids, r, out));
    CHECK(out[0].status == proto::FetchStatus::failed);
    CHECK(out[0].failure == proto::TargetStatus::unavailable);
    CHECK(out[0].message == "cluster 1 is not running (state backoff)");
    CHECK(out[2].status == proto::FetchStatus::found);
    CHECK(out[2].cluster_id == 2);
  }
  SECTION("every cluster missed") {
    proto::BroadcastReply r{{{0, proto::TargetStatus::not_found, ""}, {1, proto::TargetStatus::not_found, ""}}};
    REQUIRE(proto::resolve_fetch(ids, r, out));
    for (const auto& o : out) CHECK(o.status == proto::FetchStatus::not_found);
  }
  SECTION("an exit without text names the cluster") {
    proto::BroadcastReply r{{{4, proto::TargetStatus::exited, ""}}};
    REQUIRE(proto::resolve_fetch(ids, r, out));
    CHECK(out[1].status == proto::FetchStatus::failed);
    CHECK(out[1].message == "cluster 4: target exited");
  }
  SECTION("undecodable entries") {
    proto::BroadcastReply r{{{0, proto::TargetStatus::ok, "garbage"}}};
    CHECK_FALSE(proto::resolve_fetch(ids, r, out));
  }
}

TEST_CASE("meganectl events knows all_members_cached", "[meganectl][fetch]") {
  CHECK(ctl::parse_event_kind("all_members_cached") == proto::EventKind::all_members_cached);
  CHECK(ctl::event_kind_name(proto::EventKind::all_members_cached) == "all_members_cached");
  CHECK(ctl::event_kind_names().find(", all_members_cached") != std::string::npos);
}

TEST_CASE("meganectl fetch --json lines", "[meganectl][fetch]") {
  proto::FetchOutcome found{5, proto::FetchStatus::found, 1, R"({ "id": "5" })", proto::TargetStatus::ok, ""};
  CHECK(ctl::format_fetch_json(proto::FetchKind::user, found) ==
        "{\"kind\":\"user\",\"id\":\"5\",\"status\":\"found\",\"cluster\":1,\"data\":{\"id\":\"5\"}}\n");
  proto::FetchOutcome missing{6, proto::FetchStatus::not_found, 0, "", proto::TargetStatus::ok, ""};
  CHECK(ctl::format_fetch_json(proto::FetchKind::guild, missing) == "{\"kind\":\"guild\",\"id\":\"6\",\"status\":\"not_found\"}\n");
  proto::FetchOutcome failed{7, proto::FetchStatus::failed, 0, "", proto::TargetStatus::exited, "cluster 1: gone"};
  CHECK(ctl::format_fetch_json(proto::FetchKind::channel, failed) ==
        "{\"kind\":\"channel\",\"id\":\"7\",\"status\":\"exited\",\"error\":\"cluster 1: gone\"}\n");
}
