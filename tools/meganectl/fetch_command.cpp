// `meganectl fetch guild|channel|user ID`: one fetch through the daemon, the same request a
// worker's fetch_guild/fetch_channel/fetch_user sends (docs/meganectl.md#fetch).
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "meganectl/commands.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/fetch_output.hpp"
#include "meganectl/json_text.hpp"
#include "meganectl/report.hpp"

namespace megane::ctl {
namespace {

// As for `command`: the daemon answers "timeout" at --timeout, meganectl waits a little longer.
constexpr std::chrono::milliseconds own_deadline_margin{2'000};

}  // namespace

int fetch_command(const CommonOptions& options, const FetchArgs& args) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const std::string subject = fmt::format("{} {}", proto::to_string(args.kind), args.id);
  proto::FetchRequest request;
  request.kind = args.kind;
  request.include_members = args.members;
  request.timeout_ms = static_cast<std::uint32_t>(
      std::min<std::int64_t>(options.timeout.count(), std::numeric_limits<std::uint32_t>::max()));
  request.ids = {args.id};
  const CallResult r = client.request(proto::MessageType::fetch, proto::encode(request),
                                      Clock::now() + options.timeout + own_deadline_margin);
  if (!r.ok()) return report(r, subject, options);
  proto::BroadcastReply reply;
  std::vector<proto::FetchOutcome> outcomes;
  if (!proto::decode(r.payload, reply) || !proto::resolve_fetch(request.ids, reply, outcomes) || outcomes.size() != 1) {
    fmt::print(stderr, "meganectl: {}: the daemon's reply does not decode\n", subject);
    return exit_code::failed;
  }
  const proto::FetchOutcome& o = outcomes.front();
  if (args.json) {
    fmt::print("{}", format_fetch_json(args.kind, o));
  } else if (o.status == proto::FetchStatus::found) {
    fmt::print("{}\n", one_line_json(o.json));
  } else if (o.status == proto::FetchStatus::not_found) {
    fmt::print(stderr, "meganectl: {}: not found\n", subject);
  } else {
    fmt::print(stderr, "meganectl: {}\n", about(subject, o.message));
  }
  return o.status == proto::FetchStatus::found ? exit_code::ok : exit_code::failed;
}

}  // namespace megane::ctl
