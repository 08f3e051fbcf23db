// `meganectl command`: sends JSON data to a service or to clusters through the daemon and
// prints what came back (docs/meganectl.md#command).
#include <algorithm>
#include <cstdio>
#include <limits>

#include <fmt/format.h>

#include "meganectl/command_output.hpp"
#include "meganectl/commands.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/json_text.hpp"
#include "meganectl/report.hpp"

namespace megane::ctl {
namespace {

using proto::MessageType;

// The daemon answers "timeout" at --timeout; meganectl waits this much longer for that answer
// before it gives up on its own (exit 75).
constexpr std::chrono::milliseconds own_deadline_margin{2'000};

// Without --timeout: 0, the daemon's ipc.request_timeout.
std::uint32_t timeout_ms(const CommonOptions& options) {
  if (!options.timeout_given) return 0;
  return static_cast<std::uint32_t>(std::min<std::int64_t>(
      options.timeout.count(), std::numeric_limits<std::uint32_t>::max()));
}

std::string subject_of(const CommandArgs& args) {
  if (args.service) return fmt::format("service {}", *args.service);
  switch (args.target_kind) {
    case proto::CommandTarget::all: return "clusters";
    case proto::CommandTarget::cluster: return fmt::format("cluster {}", args.target);
    case proto::CommandTarget::guild: return fmt::format("guild {}", args.target);
  }
  return "clusters";
}

int print_service_reply(const CommandArgs& args, const CallResult& r, const std::string& subject,
                        const CommonOptions& options) {
  if (r.ok()) {
    const std::string_view data = text_of(r.payload);
    fmt::print("{}", args.json ? format_service_json(*args.service, data) : one_line_json(data) + "\n");
    return exit_code::ok;
  }
  if (r.status == CallStatus::rejected && args.json) {
    fmt::print("{}", format_service_error_json(*args.service, r.error.code, r.error.message));
    return exit_code::failed;
  }
  return report(r, subject, options);
}

int print_cluster_reply(const CommandArgs& args, const CallResult& r, const std::string& subject,
                        const CommonOptions& options) {
  if (!r.ok()) return report(r, subject, options);
  proto::BroadcastReply reply;
  if (!proto::decode(r.payload, reply)) {
    fmt::print(stderr, "meganectl: {}: the daemon's reply does not decode\n", subject);
    return exit_code::failed;
  }
  if (args.json) {
    fmt::print("{}", format_cluster_results_json(reply));
  } else if (reply.results.empty()) {
    fmt::print("no clusters\n");
  } else {
    fmt::print("{}", format_cluster_results(reply));
  }
  return all_ok(reply) ? exit_code::ok : exit_code::failed;
}

}  // namespace

int command_command(const CommonOptions& options, const CommandArgs& args) {
  if (const auto error = json_error(args.data)) {
    fmt::print(stderr,
               "meganectl: DATA is not valid JSON ({}); a string needs its quotes: '\"text\"'\n"
               "Run with --help for more information.\n",
               *error);
    return exit_code::usage;
  }
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;

  const std::string subject = subject_of(args);
  MessageType type = MessageType::service_command;
  proto::Bytes payload;
  if (args.service) {
    payload = proto::encode(
        proto::ServiceCommand{*args.service, args.receptive, timeout_ms(options), args.data});
  } else {
    type = MessageType::cluster_command;
    payload = proto::encode(proto::ClusterCommand{args.target_kind, args.target, args.receptive,
                                                  timeout_ms(options), args.data});
  }
  if (!args.receptive) {
    // Request id 0: the daemon never answers, so there is nothing to wait for or print; only
    // handing the frame over is bounded, and that by --timeout as for any other request.
    const CallResult sent = client.send(type, 0, payload, Clock::now() + options.timeout + own_deadline_margin);
    return sent.ok() ? exit_code::ok : report(sent, subject, options);
  }
  // A timeout report names how long meganectl really waited.
  CommonOptions waited = options;
  // With the daemon's default that is the longest a config may set: the answer comes at the
  // real deadline, only a hung meganed makes us wait this long.
  waited.timeout = proto::daemon_deadline(timeout_ms(options)) + own_deadline_margin;
  const CallResult r = client.request(type, payload, Clock::now() + waited.timeout);
  return args.service ? print_service_reply(args, r, subject, waited)
                      : print_cluster_reply(args, r, subject, waited);
}

}  // namespace megane::ctl
