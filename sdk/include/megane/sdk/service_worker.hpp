// The base class of a bot's service process: one central task (an API poller, a scheduler)
// that meganed runs once, next to the clusters. Other processes reach it by name with
// commands. megane::run connects it, constructs the worker and runs launch(), exactly as for
// a cluster.
#pragma once

#include <cstdint>
#include <string>

#include <megane/sdk/worker.hpp>

namespace megane {

// What megane::run hands to a service worker's constructor. Pass it on to ServiceWorker
// unchanged.
struct ServiceContext : WorkerContext {
  std::string service;            // this service's name (MEGANE_SERVICE)
  std::uint32_t total_shards = 0; // the bot's shard count, to map guilds to shards
};

class ServiceWorker : public Worker {
 public:
  explicit ServiceWorker(ServiceContext context);
  ~ServiceWorker() override;

  // Default: answers every command with the error "this service has no command handler".
  boost::asio::awaitable<CommandResult> handle_command(const CommandRequest& request) override;

  const std::string& service_name() const noexcept { return service_; }
  std::uint32_t total_shards() const noexcept { return total_shards_; }

  // Tells meganed this service is ready. Until then it counts as starting, and is restarted
  // if the service's ready_timeout passes first. Only the first call sends anything.
  void send_ready();

 private:
  std::string service_;
  std::uint32_t total_shards_;
};

}  // namespace megane
