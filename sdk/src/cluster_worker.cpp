#include <megane/sdk/cluster_worker.hpp>

#include <utility>

namespace megane {

ClusterWorker::ClusterWorker(ClusterContext context) : context_(std::move(context)) {}

ClusterWorker::~ClusterWorker() = default;

boost::asio::awaitable<void> ClusterWorker::shutdown() { co_return; }

void ClusterWorker::report_ready() {
  if (ready_reported_) return;
  if (!ipc().send(proto::MessageType::ready)) {
    logger().warn("could not report ready: not connected to meganed");
    return;
  }
  ready_reported_ = true;
  logger().info("reported ready ({} shards)", shard_count());
}

void ClusterWorker::request_stop(int exit_code) {
  if (context_.request_stop) context_.request_stop(exit_code);
}

}  // namespace megane
