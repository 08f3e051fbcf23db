#include "meganectl/rolling_progress.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace megane::ctl {
namespace {

double number(simdjson::dom::element e, const char* key) {
  double v = 0;
  if (e[key].get_double().get(v) == simdjson::SUCCESS) return v;
  std::int64_t i = 0;
  if (e[key].get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return 0;
}

}  // namespace

std::uint32_t rolling_event_mask() {
  using proto::EventKind;
  return proto::event_bit(EventKind::rolling_restart_started) | proto::event_bit(EventKind::rolling_restart_step) |
         proto::event_bit(EventKind::rolling_restart_finished) | proto::event_bit(EventKind::rolling_restart_failed);
}

std::string format_rolling_event(const proto::Event& event) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(event.json).get(e) != simdjson::SUCCESS) return {};
  // Only the kinds `restart --all` subscribes to print something; others (a newer daemon's) nothing.
  using K = proto::EventKind;
  if (event.kind == K::rolling_restart_started) {
    return fmt::format("rolling restart of {:.0f} clusters, one at a time\n", number(e, "total"));
  }
  if (event.kind == K::rolling_restart_step) {
    std::string_view phase;
    if (e["phase"].get_string().get(phase) != simdjson::SUCCESS) return {};
    if (phase == "restarting") {
      return fmt::format("[{:.0f}/{:.0f}] cluster {:.0f}: restarting... ", number(e, "index"), number(e, "total"),
                         number(e, "cluster"));
    }
    return fmt::format("ready ({:.1f} s, pid {:.0f})\n", number(e, "seconds"), number(e, "pid"));
  }
  if (event.kind == K::rolling_restart_failed) return "failed\n";
  return {};  // rolling_restart_finished: the final answer says it
}

}  // namespace megane::ctl
