// The deadline heap behind meganed's command router and the SDK's pending requests, and the
// proto::Writer that appends to an output buffer (payloads encoded straight behind a header).
#include <megane/proto/command_messages.hpp>
#include <megane/proto/deadline_heap.hpp>
#include <megane/proto/wire.hpp>

#include <set>
#include <vector>

#include "catch.hpp"

using namespace megane::proto;

TEST_CASE("deadline heap: pops in deadline order, whatever the push order", "[proto]") {
  DeadlineHeap<int> heap;
  for (int at : {5, 1, 4, 2, 3}) heap.push(at, static_cast<std::uint32_t>(at * 10));
  std::vector<int> order;
  while (!heap.empty()) {
    CHECK(heap.top().id == static_cast<std::uint32_t>(heap.top().at * 10));
    order.push_back(heap.top().at);
    heap.pop();
  }
  CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
}

TEST_CASE("deadline heap: prune drops answered entries from the top and compacts", "[proto]") {
  DeadlineHeap<int> heap;
  std::set<std::uint32_t> live;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    heap.push(static_cast<int>(i), i);
    live.insert(i);
  }
  auto is_live = [&](const auto& e) { return live.count(e.id) != 0; };

  SECTION("answered in order: the top follows the oldest live request") {
    for (std::uint32_t i = 0; i < 10; ++i) live.erase(i);
    heap.prune(live.size(), is_live);
    REQUIRE_FALSE(heap.empty());
    CHECK(heap.top().id == 10);
  }
  SECTION("answered out of order: the heap shrinks to the live ones") {
    for (std::uint32_t i = 1; i < 1000; ++i) live.erase(i);  // only request 0 still waits
    heap.prune(live.size(), is_live);
    CHECK(heap.size() == 1);
    CHECK(heap.top().id == 0);
  }
  SECTION("nothing answered: nothing dropped") {
    heap.prune(live.size(), is_live);
    CHECK(heap.size() == 1000);
  }
}

TEST_CASE("proto writer: appends to a given buffer, same bytes as the owning encoder", "[proto]") {
  Bytes out{0xAA, 0xBB};
  Writer w(out);
  encode_command_deliver(w, Role::cluster, 7, "", true, R"({"a":1})");
  CommandDeliver d;
  d.origin_role = Role::cluster;
  d.origin_cluster = 7;
  d.receptive = true;
  d.data = R"({"a":1})";
  const Bytes owned = encode(d);
  REQUIRE(out.size() == 2 + owned.size());
  CHECK(out[0] == 0xAA);
  CHECK(out[1] == 0xBB);
  CHECK(Bytes(out.begin() + 2, out.end()) == owned);

}

TEST_CASE("proto: a service command decodes the same as views and as strings", "[proto]") {
  const Bytes payload = encode(ServiceCommand{"svc", true, 250, "data"});
  ServiceCommandView view;
  REQUIRE(decode(payload, view));
  CHECK(view.service == "svc");
  CHECK(view.receptive);
  CHECK(view.timeout_ms == 250);
  CHECK(view.data == "data");
  const Bytes truncated(payload.begin(), payload.end() - 1);
  CHECK_FALSE(decode(truncated, view));
}
