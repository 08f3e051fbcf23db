// What `meganectl restart --all` prints from the daemon's rolling_restart_* events.
#include "catch.hpp"
#include "meganectl/rolling_progress.hpp"

namespace proto = megane::proto;
using megane::ctl::format_rolling_event;

TEST_CASE("meganectl restart --all: one line per cluster from the progress events", "[meganectl][restarts]") {
  using K = proto::EventKind;
  CHECK(format_rolling_event({K::rolling_restart_started, 0, R"({"type":"rolling_restart_started","total":4})"}) ==
        "rolling restart of 4 clusters, one at a time\n");
  CHECK(format_rolling_event({K::rolling_restart_step, 0,
                              R"({"cluster":1,"index":2,"total":4,"phase":"restarting","pid":10})"}) ==
        "[2/4] cluster 1: restarting... ");
  CHECK(format_rolling_event({K::rolling_restart_step, 0,
                              R"({"cluster":1,"index":2,"total":4,"phase":"ready","pid":4321,"seconds":1.26})"}) ==
        "ready (1.3 s, pid 4321)\n");
  CHECK(format_rolling_event({K::rolling_restart_failed, 0, R"({"cluster":2,"reason":"x"})"}) == "failed\n");
  CHECK(format_rolling_event({K::rolling_restart_finished, 0, R"({"total":4})"}).empty());
  CHECK(format_rolling_event({K::rolling_restart_step, 0, "not json"}).empty());
}
