#include <megane/sdk/worker.hpp>

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "request_failure.hpp"

namespace megane {
namespace {

using proto::MessageType;
using detail::failure_of;
using detail::not_sent;

// 0 on the wire: meganed applies its ipc.request_timeout.
std::uint32_t to_wire(std::chrono::milliseconds timeout) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(timeout.count(), 0, std::numeric_limits<std::uint32_t>::max()));
}

// How long the SDK itself waits for the daemon's answer, which always comes by the daemon's
// deadline unless meganed hangs.
std::chrono::milliseconds local_wait(std::chrono::milliseconds timeout) {
  return proto::daemon_deadline(to_wire(timeout)) + command_deadline_margin;
}

}  // namespace

Worker::Worker(WorkerContext context) : context_(std::move(context)) {}

Worker::~Worker() = default;

boost::asio::awaitable<void> Worker::shutdown() { co_return; }
boost::asio::awaitable<void> Worker::close_sdk_connections(std::chrono::steady_clock::time_point) { co_return; }
std::chrono::milliseconds Worker::shutdown_timeout() const { return std::chrono::milliseconds{0}; }

std::string Worker::get_stats() { return {}; }
void Worker::collect_sdk_stats(proto::WorkerStats&) const {}

void Worker::on_event(proto::EventKind, std::string_view) {}

void Worker::all_clusters_ready() {}
void Worker::all_clusters_members_cached() {}

std::uint32_t Worker::event_mask() const { return 0; }

boost::asio::awaitable<CommandReply> Worker::send_service_command(std::string service,
                                                                  std::string data,
                                                                  CommandOptions options) {
  // Only a failure names the service: no formatting on the path every command takes.
  auto what = [&service] { return fmt::format("service '{}'", service); };
  proto::Bytes payload = proto::encode(
      proto::ServiceCommand{service, options.receptive, to_wire(options.timeout), std::move(data)});
  if (!options.receptive) {
    // Request id 0: the daemon never answers, and nothing here waits.
    co_return ipc().send(MessageType::service_command, payload) ? CommandReply{} : not_sent(what());
  }
  const Reply reply =
      co_await ipc().request(MessageType::service_command, std::move(payload), local_wait(options.timeout));
  if (!reply.ok()) co_return failure_of(reply, what());
  CommandReply r;
  r.data = JsonText(std::string(reply.payload.begin(), reply.payload.end()));
  co_return r;
}

boost::asio::awaitable<ClusterCommandReply> Worker::send_cluster_command(Target target,
                                                                         std::string data,
                                                                         CommandOptions options) {
  const std::string what = "cluster command";
  const proto::Bytes payload = proto::encode(proto::ClusterCommand{
      target.kind(), target.id(), options.receptive, to_wire(options.timeout), std::move(data)});
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
      co_await ipc().request(MessageType::cluster_command, payload, local_wait(options.timeout));
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
