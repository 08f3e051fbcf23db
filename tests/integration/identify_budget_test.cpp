// The daily identify budget under crash loops: fakecord reports a budget just above meganed's
// reserve and forgets sessions the moment their connection drops (--resume-timeout-ms 0), so
// every cluster killed with SIGKILL must IDENTIFY its shards again. Killed clusters may die
// holding a permit, before or after their IDENTIFY went out. Pass: Discord (fakecord) never
// sees the budget go below the reserve, nothing is refused for an exhausted budget, and once
// the budget is down to the reserve the shards wait and meganed's status says why.
#include <signal.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include <megane/proto/messages.hpp>
#include <simdjson.h>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

struct Budget {
  std::uint64_t remaining = 0, reserve = 0, in_flight = 0, waiting = 0;
  std::string blocked_reason;
};

// gateway.identify of meganed's status.
std::optional<Budget> budget(const fs::path& socket) {
  Client c(socket);
  if (!c.connected() || !c.hello_control()) return std::nullopt;
  auto r = c.request(megane::proto::MessageType::status);
  if (!r || r->is_error()) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element id;
  if (parser.parse(r->text()).at_pointer("/gateway/identify").get(id) != simdjson::SUCCESS) return std::nullopt;
  Budget b;
  b.remaining = std::uint64_t(id["remaining"]);
  b.reserve = std::uint64_t(id["reserve"]);
  b.in_flight = std::uint64_t(id["in_flight"]);
  b.waiting = std::uint64_t(id["waiting"]);
  if (!id["blocked_reason"].is_null()) b.blocked_reason = std::string(std::string_view(id["blocked_reason"]));
  return b;
}

}  // namespace

TEST_CASE("identify budget: crash loops never make meganed IDENTIFY below the reserve", "[integration][gateway][chaos]") {
  constexpr std::uint64_t reserve = 10;
  constexpr std::uint64_t start_remaining = reserve + 4 + 2;  // the first 4 identifies, then 2 more
  Fakecord fc({"--identify-window-ms", "100", "--session-total", "1000", "--session-remaining",
               std::to_string(start_remaining), "--resume-timeout-ms", "0"});
  TempDir dir;
  Daemon d(dir, "name = \"budget\"\n"
                "[bot]\nexecutable = \"@BIN@/megane-gateway-bot\"\n"
                "[sharding]\nshards = 4\nclusters = 2\n"
                "[supervision]\nbackoff_initial = \"50ms\"\nbackoff_max = \"200ms\"\nmin_spawn_gap = \"10ms\"\n"
                "crash_limit = 1000\ncrash_window = \"1s\"\n"
                "[gateway]\ntoken_file = \"" + fc.token_file.string() + "\"\n"
                "gateway_url = \"" + fc.gateway_url() + "\"\napi_url = \"" + fc.api_url() + "\"\n"
                "identify_window = \"100ms\"\nidentify_reserve = " + std::to_string(reserve) + "\n"
                "[ipc]\nsocket = \"@SOCKET@\"\n");
  REQUIRE(d.wait_all_ready(60s));
  REQUIRE(fc.stat("identifies", "total") == 4);

  // Random crash loop: a random cluster killed every 500 ms for 10 s, whatever it was doing.
  std::mt19937 rng(std::random_device{}());
  int kills = 0;
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(500ms);
    auto st = d.status();
    REQUIRE(st);
    const auto& c = st->clusters[rng() % st->clusters.size()];
    if (c.pid > 0 && ::kill(c.pid, SIGKILL) == 0) ++kills;
  }
  // The loop is over: the clusters come back and their shards ask for permits the budget no
  // longer allows. They wait, and status says why.
  std::optional<Budget> b;
  const bool blocked = wait_until(
      [&] {
        b = budget(d.socket());
        return b && b->waiting > 0 && b->in_flight == 0 && !b->blocked_reason.empty();
      },
      30s);
  const std::string stats = fc.stats();
  INFO(kills << " kills; fakecord: " << stats << "\nmeganed's log:\n" << d.log());
  REQUIRE(b);
  CHECK(kills >= 10);
  CHECK(blocked);
  // Discord's view: at most the identifies above the reserve, none refused for the budget. The
  // kills did force new identifies (the sessions were gone), so the reserve was tested.
  const std::uint64_t sent = fc.stat("identifies", "total");
  CHECK(sent > 4);
  CHECK(sent <= start_remaining - reserve);
  CHECK(fc.stat("session_start_limit", "remaining") >= reserve);
  CHECK(fc.stat("budget_exhausted_identifies") == 0);
  // meganed's view: spent down to the reserve (it counts a permit of a killed process as used,
  // since it cannot know), never below.
  CHECK(b->reserve == reserve);
  CHECK(b->remaining == reserve);
  CHECK(b->blocked_reason.find("keeping a reserve of " + std::to_string(reserve)) != std::string::npos);
  CHECK(b->blocked_reason.find("shards wait") != std::string::npos);
  const ToolRun table = run_meganectl(dir, {"--socket", d.socket().string(), "status"});
  INFO(table.output);
  CHECK(table.output.find("identify blocked: identify budget") != std::string::npos);
  WARN(kills << " kills: fakecord saw " << sent << " identifies (" << fc.stat("resumes", "failed")
              << " failed resumes), budget " << fc.stat("session_start_limit", "remaining") << " left of "
              << start_remaining << "; meganed: remaining " << b->remaining << ", " << b->waiting << " shards waiting");
  // Nothing changes while they wait: no identify sneaks out later.
  const std::uint64_t identifies = fc.stat("identifies", "total");
  std::this_thread::sleep_for(2s);
  CHECK(fc.stat("identifies", "total") == identifies);
  CHECK(fc.stat("session_start_limit", "remaining") >= reserve);
}
