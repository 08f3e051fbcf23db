// `meganectl restart --all` (also `--rolling`): asks meganed for a rolling restart and prints
// its progress from the rolling_restart_* events until the daemon's answer comes
// (docs/meganectl.md#restart---all).
#include <algorithm>
#include <cstdint>
#include <cstdio>

#include <fmt/format.h>

#include "meganectl/commands.hpp"
#include "meganectl/event_output.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/report.hpp"
#include "meganectl/rolling_progress.hpp"

namespace megane::ctl {

using proto::MessageType;

int restart_all_command(const CommonOptions& options, bool json) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  // Subscribed first: the daemon handles frames in order, so no progress event is missed.
  const std::uint32_t sub_id = client.next_request_id();
  CallResult sent = client.send(MessageType::subscribe, sub_id, proto::encode(proto::Subscribe{rolling_event_mask()}),
                                deadline_of(options));
  if (!sent.ok()) return report(sent, "restart --all", options);
  const std::uint32_t id = client.next_request_id();
  const auto timeout_ms = static_cast<std::uint32_t>(std::min<std::int64_t>(options.timeout.count(), UINT32_MAX));
  sent = client.send(MessageType::rolling_restart, id, proto::encode(proto::RollingRestart{timeout_ms}),
                     deadline_of(options));
  if (!sent.ok()) return report(sent, "restart --all", options);

  // meganed bounds each cluster by --timeout; this side waits a little longer per step so the
  // daemon's own answer (which names the cluster) arrives first.
  const auto slack = std::chrono::seconds(10);
  Clock::time_point deadline = Clock::now() + options.timeout + slack;
  bool line_open = false;
  for (;;) {
    const CallResult r = client.receive(deadline);
    if (r.status == CallStatus::timeout || r.status == CallStatus::unreachable ||
        r.status == CallStatus::protocol_error) {
      if (line_open) fmt::print("\n");
      std::fflush(stdout);
      return report(r, "restart --all", options);
    }
    const proto::FrameHeader& h = r.header;
    if (h.has(proto::FrameFlags::reply) && h.request_id == sub_id) {
      if (!r.ok()) return report(r, "restart --all", options);
      continue;
    }
    if (h.has(proto::FrameFlags::reply) && h.request_id == id) {
      if (line_open) fmt::print("\n");
      std::fflush(stdout);
      if (!r.ok()) return report(r, "restart --all", options);
      const std::string_view text = text_of(r.payload);
      if (json) fmt::print("{}{}", text, text.ends_with('\n') ? "" : "\n");
      else fmt::print("every cluster restarted and ready again\n");
      return exit_code::ok;
    }
    if (h.type != MessageType::event) continue;
    proto::Event event;
    if (!proto::decode(r.payload, event)) continue;
    deadline = Clock::now() + options.timeout + slack;  // progress: the next step gets its own time
    if (json) {
      fmt::print("{}", format_event_json(event));
    } else {
      const std::string text = format_rolling_event(event);
      if (!text.empty()) line_open = text.back() != '\n';
      fmt::print("{}", text);
    }
    std::fflush(stdout);
  }
}

}  // namespace megane::ctl
