#include <megane/sdk/cluster_worker.hpp>

#include <utility>

#include <fmt/format.h>

namespace megane {

ClusterWorker::ClusterWorker(ClusterContext context)
    : Worker(std::move(static_cast<WorkerContext&>(context))),
      cluster_id_(context.cluster_id),
      shards_(context.shards) {}

ClusterWorker::~ClusterWorker() = default;

boost::asio::awaitable<CommandResult> ClusterWorker::handle_command(const CommandRequest&) {
  co_return CommandResult::error("this cluster has no command handler");
}

void ClusterWorker::report_ready() { mark_ready(fmt::format(" ({} shards)", shard_count())); }

}  // namespace megane
