#include <megane/sdk/service_worker.hpp>

#include <utility>

namespace megane {

ServiceWorker::ServiceWorker(ServiceContext context)
    : Worker(std::move(static_cast<WorkerContext&>(context))),
      service_(std::move(context.service)),
      total_shards_(context.total_shards) {}

ServiceWorker::~ServiceWorker() = default;

boost::asio::awaitable<CommandResult> ServiceWorker::handle_command(const CommandRequest&) {
  co_return CommandResult::error("this service has no command handler");
}

void ServiceWorker::send_ready() { mark_ready(""); }

}  // namespace megane
