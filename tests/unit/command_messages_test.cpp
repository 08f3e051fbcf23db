// Commands and events on the wire (proto/command_messages.hpp): golden bytes, round trips,
// and malformed input; then the SDK's mapping of those messages to CommandReply values.
#include <megane/proto/command_messages.hpp>
#include <megane/sdk/commands.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "wire_checks.hpp"

using namespace megane;
using proto::Bytes;
using test::bytes;
using test::check_rejects_truncated_and_trailing;

TEST_CASE("ServiceCommand: golden bytes and round trip", "[proto][commands]") {
  const proto::ServiceCommand m{"svc", true, 500, "{}"};
  const Bytes encoded = proto::encode(m);
  CHECK(encoded == bytes({3, 0, 0, 0, 's', 'v', 'c', 1, 0xF4, 0x01, 0, 0, 2, 0, 0, 0, '{', '}'}));
  proto::ServiceCommand back;
  REQUIRE(proto::decode(encoded, back));
  CHECK(back.service == "svc");
  CHECK(back.receptive);
  CHECK(back.timeout_ms == 500);
  CHECK(back.data == "{}");
  check_rejects_truncated_and_trailing<proto::ServiceCommand>(encoded);

  const proto::ServiceCommand quiet{"", false, 0, ""};
  REQUIRE(proto::decode(proto::encode(quiet), back));
  CHECK_FALSE(back.receptive);
  CHECK(back.service.empty());
}

TEST_CASE("ClusterCommand: golden bytes, every target kind, bad kind", "[proto][commands]") {
  const proto::ClusterCommand m{proto::CommandTarget::guild, 0x0102030405060708ull, false, 7, "1"};
  const Bytes encoded = proto::encode(m);
  CHECK(encoded == bytes({2, 8, 7, 6, 5, 4, 3, 2, 1, 0, 7, 0, 0, 0, 1, 0, 0, 0, '1'}));
  check_rejects_truncated_and_trailing<proto::ClusterCommand>(encoded);

  for (const auto kind : {proto::CommandTarget::all, proto::CommandTarget::cluster, proto::CommandTarget::guild}) {
    proto::ClusterCommand back;
    REQUIRE(proto::decode(proto::encode(proto::ClusterCommand{kind, 42, true, 1000, R"({"a":1})"}), back));
    CHECK(back.target_kind == kind);
    CHECK(back.target == 42);
    CHECK(back.receptive);
    CHECK(back.timeout_ms == 1000);
    CHECK(back.data == R"({"a":1})");
  }
  Bytes bad_kind = encoded;
  bad_kind[0] = 3;
  proto::ClusterCommand out;
  CHECK_FALSE(proto::decode(bad_kind, out));
  Bytes bad_bool = encoded;
  bad_bool[9] = 2;
  CHECK_FALSE(proto::decode(bad_bool, out));
}

TEST_CASE("CommandDeliver: golden bytes, origins, bad role", "[proto][commands]") {
  const proto::CommandDeliver m{proto::Role::service, 0, "poller", true, "x"};
  const Bytes encoded = proto::encode(m);
  CHECK(encoded == bytes({2, 0, 0, 0, 0, 6, 0, 0, 0, 'p', 'o', 'l', 'l', 'e', 'r', 1, 1, 0, 0, 0, 'x'}));
  check_rejects_truncated_and_trailing<proto::CommandDeliver>(encoded);

  proto::CommandDeliver back;
  REQUIRE(proto::decode(proto::encode(proto::CommandDeliver{proto::Role::cluster, 7, "", false, ""}), back));
  CHECK(back.origin_role == proto::Role::cluster);
  CHECK(back.origin_cluster == 7);
  CHECK_FALSE(back.receptive);

  Bytes bad_role = encoded;
  bad_role[0] = 3;
  CHECK_FALSE(proto::decode(bad_role, back));
}

TEST_CASE("BroadcastReply: golden bytes, every status, hostile counts", "[proto][commands]") {
  proto::BroadcastReply m;
  m.results.push_back({0, proto::TargetStatus::ok, "{}"});
  m.results.push_back({1, proto::TargetStatus::timeout, ""});
  const Bytes encoded = proto::encode(m);
  CHECK(encoded == bytes({2, 0, 0, 0,                           // count
                          0, 0, 0, 0, 0, 2, 0, 0, 0, '{', '}',  // cluster 0 ok "{}"
                          1, 0, 0, 0, 2, 0, 0, 0, 0}));          // cluster 1 timeout ""
  check_rejects_truncated_and_trailing<proto::BroadcastReply>(encoded);

  proto::BroadcastReply all;
  for (std::uint32_t s = 0; s <= 5; ++s) {  // 5: not_found, a fetch's miss
    all.results.push_back({s * 10, static_cast<proto::TargetStatus>(s), std::string(s, 'e')});
  }
  proto::BroadcastReply back;
  REQUIRE(proto::decode(proto::encode(all), back));
  REQUIRE(back.results.size() == 6);
  for (std::uint32_t s = 0; s <= 5; ++s) {
    CHECK(back.results[s].cluster_id == s * 10);
    CHECK(back.results[s].status == static_cast<proto::TargetStatus>(s));
    CHECK(back.results[s].data == std::string(s, 'e'));
  }

  REQUIRE(proto::decode(proto::encode(proto::BroadcastReply{}), back));
  CHECK(back.results.empty());

  Bytes bad_status = encoded;
  bad_status[8] = 6;
  CHECK_FALSE(proto::decode(bad_status, back));
  // A count no payload of this size can hold must fail before anything is reserved.
  CHECK_FALSE(proto::decode(bytes({0xFF, 0xFF, 0xFF, 0xFF}), back));
  CHECK_FALSE(proto::decode(bytes({0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0}), back));
}

TEST_CASE("Subscribe, Event, RestartService round trips", "[proto][commands]") {
  const Bytes sub = proto::encode(proto::Subscribe{proto::event_bit(proto::EventKind::cluster_exited)});
  CHECK(sub == bytes({8, 0, 0, 0}));
  check_rejects_truncated_and_trailing<proto::Subscribe>(sub);

  const proto::Event e{proto::EventKind::all_clusters_ready, 1'800'000'000'123ull, R"({"clusters":4})"};
  const Bytes ev = proto::encode(e);
  proto::Event eback;
  REQUIRE(proto::decode(ev, eback));
  CHECK(eback.kind == proto::EventKind::all_clusters_ready);
  CHECK(eback.unix_ms == 1'800'000'000'123ull);
  CHECK(eback.json == R"({"clusters":4})");
  CHECK(ev[0] == 6);
  check_rejects_truncated_and_trailing<proto::Event>(ev);

  const Bytes rs = proto::encode(proto::RestartService{"poller", true});
  CHECK(rs == bytes({6, 0, 0, 0, 'p', 'o', 'l', 'l', 'e', 'r', 1}));
  proto::RestartService rback;
  REQUIRE(proto::decode(rs, rback));
  CHECK(rback.service == "poller");
  CHECK(rback.wait_ready);
  check_rejects_truncated_and_trailing<proto::RestartService>(rs);
  Bytes bad_bool = rs;
  bad_bool.back() = 2;
  CHECK_FALSE(proto::decode(bad_bool, rback));
}

TEST_CASE("a string length past the payload is malformed, not a huge read", "[proto][commands]") {
  proto::ServiceCommand out;
  CHECK_FALSE(proto::decode(bytes({0xFF, 0xFF, 0xFF, 0x7F, 's'}), out));
  proto::Event ev;
  CHECK_FALSE(proto::decode(bytes({3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}), ev));
}

TEST_CASE("event bits: one per kind, all_events covers every kind", "[proto][commands]") {
  std::uint32_t seen = 0;
  for (std::uint16_t k = 1; k <= 13; ++k) {
    const auto kind = static_cast<proto::EventKind>(k);
    INFO(proto::to_string(kind));
    CHECK(proto::to_string(kind) != "unknown");
    CHECK((seen & proto::event_bit(kind)) == 0);
    seen |= proto::event_bit(kind);
    CHECK((proto::all_events & proto::event_bit(kind)) != 0);
  }
  CHECK(proto::to_string(proto::TargetStatus::exited) == "target exited");
  CHECK(proto::to_string(proto::TargetStatus::timeout) == "timed out");
}

TEST_CASE("SDK: the daemon's error codes become CommandStatus values", "[sdk][commands]") {
  using proto::ErrorCode;
  const std::pair<ErrorCode, CommandStatus> table[] = {
      {ErrorCode::not_found, CommandStatus::not_found},
      {ErrorCode::unavailable, CommandStatus::unavailable},
      {ErrorCode::timeout, CommandStatus::timeout},
      {ErrorCode::target_exited, CommandStatus::target_exited},
      {ErrorCode::rejected, CommandStatus::rejected},
      {ErrorCode::malformed, CommandStatus::failed},
      {ErrorCode::not_allowed, CommandStatus::failed},
      {ErrorCode::internal, CommandStatus::failed},
      {ErrorCode::limit, CommandStatus::failed},
  };
  for (const auto& [code, status] : table) {
    INFO(proto::to_string(code));
    CHECK(detail::status_of(code) == status);
  }
  CHECK(detail::status_of(proto::TargetStatus::ok) == CommandStatus::ok);
  CHECK(detail::status_of(proto::TargetStatus::error) == CommandStatus::rejected);
  CHECK(detail::status_of(proto::TargetStatus::timeout) == CommandStatus::timeout);
  CHECK(detail::status_of(proto::TargetStatus::unavailable) == CommandStatus::unavailable);
  CHECK(detail::status_of(proto::TargetStatus::exited) == CommandStatus::target_exited);
}

TEST_CASE("SDK: per-cluster results keep data on ok and text as the message otherwise", "[sdk][commands]") {
  const ClusterReply ok = detail::reply_of({2, proto::TargetStatus::ok, R"({"n":1})"});
  CHECK(ok.ok());
  CHECK(ok.cluster_id == 2);
  CHECK(ok.data.text() == R"({"n":1})");
  CHECK(ok.message.empty());

  const ClusterReply failed = detail::reply_of({3, proto::TargetStatus::error, "asked to fail"});
  CHECK(failed.status == CommandStatus::rejected);
  CHECK(failed.message == "asked to fail");
  CHECK(failed.data.empty());

  const ClusterReply gone = detail::reply_of({4, proto::TargetStatus::exited, ""});
  CHECK(gone.status == CommandStatus::target_exited);
  CHECK(gone.message == "cluster 4: target exited");

  ClusterCommandReply all;
  all.results = {ok, ok};
  CHECK(all.ok());
  all.results.push_back(gone);
  CHECK_FALSE(all.ok());
  ClusterCommandReply none;
  none.status = CommandStatus::not_found;
  CHECK_FALSE(none.ok());
}

TEST_CASE("SDK: JsonText parses once, errors are values, copies parse on their own", "[sdk][commands]") {
  const JsonText text(R"({"op":"PING","n":[1,2]})");
  std::string_view op;
  REQUIRE(text.json()["op"].get(op) == simdjson::SUCCESS);
  CHECK(op == "PING");
  std::int64_t second = 0;
  REQUIRE(text.json()["n"].at(1).get(second) == simdjson::SUCCESS);  // a second look works
  CHECK(second == 2);

  const JsonText copy = text;
  CHECK(copy.text() == text.text());
  REQUIRE(copy.json()["op"].get(op) == simdjson::SUCCESS);
  CHECK(op == "PING");

  CHECK(JsonText("{not json").json().error() != simdjson::SUCCESS);
  CHECK(JsonText("").json().error() != simdjson::SUCCESS);
  CHECK(JsonText(R"("PONG")").json().get_string().value_unsafe() == "PONG");
}

TEST_CASE("SDK: targets, results and origins", "[sdk][commands]") {
  CHECK(Target::all().kind() == proto::CommandTarget::all);
  CHECK(Target::cluster(3).kind() == proto::CommandTarget::cluster);
  CHECK(Target::cluster(3).id() == 3);
  CHECK(Target::guild(81384788765712384ull).id() == 81384788765712384ull);

  CHECK_FALSE(CommandResult::ok(R"("PONG")").is_error());
  CHECK(CommandResult::ok(R"("PONG")").text() == R"("PONG")");
  CHECK(CommandResult::error("Unknown command").is_error());

  CommandRequest r;
  r.origin_role = proto::Role::cluster;
  r.origin_cluster = 5;
  CHECK(r.origin() == "cluster 5");
  r.origin_role = proto::Role::service;
  r.origin_service = "poller";
  CHECK(r.origin() == "service 'poller'");
  r.origin_role = proto::Role::control;
  CHECK(r.origin() == "control");
  CHECK(to_string(CommandStatus::target_exited) == "target exited");
}
