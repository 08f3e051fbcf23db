#include <megane/sdk/worker.hpp>

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace megane {
namespace {

using proto::MessageType;

std::chrono::milliseconds effective(std::chrono::milliseconds timeout) {
  return timeout.count() <= 0 ? default_command_timeout : timeout;
}

std::uint32_t to_wire(std::chrono::milliseconds timeout) {
  return static_cast<std::uint32_t>(
      std::min<std::int64_t>(timeout.count(), std::numeric_limits<std::uint32_t>::max()));
}

// A request that did not come back with a payload, as a CommandReply: the daemon's error
// (not_found, timeout, target_exited...) or a local failure (disconnected, our own deadline).
CommandReply failure_of(const Reply& reply, std::string_view what) {
  CommandReply r;
  switch (reply.status) {
    case IpcStatus::rejected:
      r.status = detail::status_of(reply.error.code);
      r.message = reply.error.message.empty()
                      ? fmt::format("{}: {}", what, proto::to_string(reply.error.code))
                      : reply.error.message;
      return r;
    case IpcStatus::timeout:
      r.status = CommandStatus::timeout;
      r.message = fmt::format("{}: meganed did not answer in time", what);
      return r;
    case IpcStatus::cancelled:
      r.status = CommandStatus::cancelled;
      r.message = fmt::format("{}: cancelled", what);
      return r;
    case IpcStatus::ok:
    case IpcStatus::unreachable:
    case IpcStatus::disconnected:
    case IpcStatus::protocol_error: break;
  }
  r.status = CommandStatus::disconnected;
  r.message = fmt::format("{}: {}", what, reply.error.message);
  return r;
}

CommandReply not_sent(std::string_view what) {
  CommandReply r;
  r.status = CommandStatus::disconnected;
  r.message = fmt::format("{}: not connected to meganed", what);
  return r;
}

}  // namespace

Worker::Worker(WorkerContext context) : context_(std::move(context)) {}

Worker::~Worker() = default;

boost::asio::awaitable<void> Worker::shutdown() { co_return; }
boost::asio::awaitable<void> Worker::close_sdk_connections() { co_return; }
std::chrono::milliseconds Worker::shutdown_timeout() const { return std::chrono::milliseconds{0}; }

std::string Worker::get_stats() { return {}; }
void Worker::collect_sdk_stats(proto::WorkerStats&) const {}

void Worker::on_event(proto::EventKind, std::string_view) {}

void Worker::all_clusters_ready() {}

std::uint32_t Worker::event_mask() const { return 0; }

boost::asio::awaitable<CommandReply> Worker::send_service_command(std::string service,
                                                                  std::string data,
                                                                  CommandOptions options) {
  const auto timeout = effective(options.timeout);
  // Only a failure names the service: no formatting on the path every command takes.
  auto what = [&service] { return fmt::format("service '{}'", service); };
  proto::Bytes payload = proto::encode(
      proto::ServiceCommand{service, options.receptive, to_wire(timeout), std::move(data)});
  if (!options.receptive) {
    // Request id 0: the daemon never answers, and nothing here waits.
    co_return ipc().send(MessageType::service_command, payload) ? CommandReply{} : not_sent(what());
  }
  const Reply reply =
      co_await ipc().request(MessageType::service_command, std::move(payload), timeout + command_deadline_margin);
  if (!reply.ok()) co_return failure_of(reply, what());
  CommandReply r;
  r.data = JsonText(std::string(reply.payload.begin(), reply.payload.end()));
  co_return r;
}

boost::asio::awaitable<ClusterCommandReply> Worker::send_cluster_command(Target target,
                                                                         std::string data,
                                                                         CommandOptions options) {
  const auto timeout = effective(options.timeout);
  const std::string what = "cluster command";
  const proto::Bytes payload = proto::encode(proto::ClusterCommand{
      target.kind(), target.id(), options.receptive, to_wire(timeout), std::move(data)});
  ClusterCommandReply out;
  if (!options.receptive) {
    if (!ipc().send(MessageType::cluster_command, payload)) {
      const CommandReply r = not_sent(what);
      out.status = r.status;
      out.message = r.message;
    }
    co_return out;
  }
  const Reply reply =
      co_await ipc().request(MessageType::cluster_command, payload, timeout + command_deadline_margin);
  if (!reply.ok()) {
    const CommandReply r = failure_of(reply, what);
    out.status = r.status;
    out.message = r.message;
    co_return out;
  }
  proto::BroadcastReply decoded;
  if (!proto::decode(reply.payload, decoded)) {
    out.status = CommandStatus::failed;
    out.message = "meganed sent an undecodable cluster command reply";
    co_return out;
  }
  out.results.reserve(decoded.results.size());
  for (proto::TargetResult& t : decoded.results) out.results.push_back(detail::reply_of(std::move(t)));
  co_return out;
}

void Worker::mark_ready(std::string_view what) {
  if (ready_reported_) return;
  if (!ipc().send(proto::MessageType::ready)) {
    logger().warn("could not report ready: not connected to meganed");
    return;
  }
  ready_reported_ = true;
  logger().info("reported ready{}", what);
}

void Worker::request_stop(int exit_code) {
  if (context_.request_stop) context_.request_stop(exit_code);
}

}  // namespace megane
