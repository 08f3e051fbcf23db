// Per-shard health: a shard whose connection goes silent (fakecord's `silent` fault: no
// heartbeat ACK and no dispatch) is closed and RESUMEd alone once [gateway]
// shard_silence_timeout passes, long before the heartbeat's zombie check would notice; the
// cluster's process and its other shards are not touched.
#include <string>
#include <vector>

#include <simdjson.h>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

// Shard ids fakecord counted a RESUME for.
std::vector<std::string> resumed_shards(Fakecord& fc) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::vector<std::string> out;
  const std::string text = fc.stats();
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return out;
  simdjson::dom::object per_shard;
  if (root["resumes"]["per_shard"].get_object().get(per_shard) != simdjson::SUCCESS) return out;
  for (auto field : per_shard) out.emplace_back(field.key);
  return out;
}

}  // namespace

TEST_CASE("shard health: a silent shard is recycled alone (RESUME), its cluster and the other shards untouched",
          "[integration][gateway][health]") {
  // Heartbeats every 20 s: the zombie check needs 20 s or more after a missed ACK, the silence
  // check 5 s. A steady burst keeps every shard talking, so only the silenced one goes quiet.
  Fakecord fc({"--identify-window-ms", "100", "--hello-interval-ms", "20000"});
  TempDir dir;
  Daemon d(dir, "name = \"silence\"\n"
                "[bot]\n"
                "executable = \"@BIN@/megane-gateway-bot\"\n"
                "[sharding]\n"
                "shards = 4\n"
                "clusters = 2\n"
                + fc.gateway_section() +
                "shard_silence_timeout = \"5s\"\n"
                "[ipc]\n"
                "socket = \"@SOCKET@\"\n");
  auto before = d.wait_all_ready(30s);
  REQUIRE(before);
  REQUIRE(fc.stat("identifies", "total") == 4);

  fc.control("/burst", R"({"shard":"all","event":"MESSAGE_CREATE","count":8000,"rate":40})");
  fc.control("/fault", R"({"shard":1,"kind":"silent"})");
  const bool resumed = wait_until([&] { return fc.stat("resumes", "total") >= 1; }, 40s);
  INFO(d.log());
  INFO(fc.stats());
  REQUIRE(resumed);
  CHECK(d.log().find("shard 1: silent for") != std::string::npos);
  CHECK(d.log().find("zombie connection") == std::string::npos);  // the silence check came first
  // Healthy shards keep going: more events flow, nothing changes for them.
  const auto sent = fc.stat("events_sent");
  CHECK(wait_until([&] { return fc.stat("events_sent") >= sent + 400; }, 30s));
  CHECK(resumed_shards(fc) == std::vector<std::string>{"1"});
  CHECK(fc.stat("resumes", "total") == 1);
  CHECK(fc.stat("resumes", "failed") == 0);
  CHECK(fc.stat("identifies", "total") == 4);
  auto after = d.status();
  REQUIRE(after);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(after->clusters[i].pid == before->clusters[i].pid);
    CHECK(after->clusters[i].restarts == 0);
  }
}
