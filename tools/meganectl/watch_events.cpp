// `meganectl events`: subscribes and prints one line per event until interrupted or the
// daemon goes away (docs/meganectl.md#events).
#include <signal.h>

#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "meganectl/commands.hpp"
#include "meganectl/event_output.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/report.hpp"

namespace megane::ctl {
namespace {

using proto::MessageType;

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void request_stop(int) { stop_requested = 1; }

// No SA_RESTART: a signal interrupts the wait, and the loop below notices within one slice.
void handle_stop_signals() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

// How often the wait wakes up to check for a signal.
constexpr std::chrono::milliseconds slice{250};

}  // namespace

int events_command(const CommonOptions& options, bool json, std::uint32_t mask) {
  handle_stop_signals();
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;

  const std::uint32_t id = client.next_request_id();
  const CallResult sent =
      client.send(MessageType::subscribe, id, proto::encode(proto::Subscribe{mask}), deadline_of(options));
  if (!sent.ok()) return report(sent, "events", options);
  // Events may arrive before the subscribe reply (a late subscriber gets all_clusters_ready at
  // once), so everything is read in one loop instead of waiting for the reply first.
  bool subscribed = false;
  const Clock::time_point subscribe_deadline = deadline_of(options);

  while (stop_requested == 0) {
    const CallResult r = client.receive(Clock::now() + slice);
    if (r.status == CallStatus::timeout) {
      if (!subscribed && Clock::now() >= subscribe_deadline) {
        fmt::print(stderr, "meganectl: events: meganed did not answer the subscription (waited {} ms, "
                   "see --timeout)\n", options.timeout.count());
        return exit_code::timed_out;
      }
      continue;
    }
    if (r.status == CallStatus::unreachable || r.status == CallStatus::protocol_error) {
      if (stop_requested != 0) break;
      fmt::print(stderr, "meganectl: events: {}\n", r.error.message);
      return exit_code::unavailable;
    }
    const proto::FrameHeader& h = r.header;
    if (h.has(proto::FrameFlags::reply) && h.request_id == id) {
      if (!r.ok()) return report(r, "events", options);  // e.g. a daemon without events
      subscribed = true;
      continue;
    }
    if (r.status == CallStatus::rejected) {
      fmt::print(stderr, "meganectl: meganed: {}\n", r.error.message);
      continue;  // the daemon closes the connection next, if it means to
    }
    if (h.type != MessageType::event) continue;
    proto::Event event;
    if (!proto::decode(r.payload, event)) {
      fmt::print(stderr, "meganectl: skipping an undecodable event ({} bytes)\n", r.payload.size());
      continue;
    }
    fmt::print("{}", json ? format_event_json(event) : format_event_line(event));
    std::fflush(stdout);  // one line per event, as it happens, also through a pipe
  }
  return exit_code::ok;
}

}  // namespace megane::ctl
