// The smallest useful megane cluster worker. meganed starts this program once per cluster;
// megane::run() connects it to the daemon and tells it which shards are its own.
//
// Gateway connections are simulated with a short timer per shard for now; the SDK's gateway
// client will replace that part.
//
// It also shows commands both ways: if EXAMPLE_SERVICE names a service (see
// examples/service), it PINGs it once ready; and it answers the cluster command
// {"op":"SHARDS"} with its shard range (`meganectl command --cluster all '{"op":"SHARDS"}'`).
#include <chrono>
#include <cstdlib>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <megane/sdk/cluster_worker.hpp>
#include <megane/sdk/run.hpp>

namespace {

using namespace std::chrono_literals;
using megane::CommandResult;

class ExampleBot final : public megane::ClusterWorker {
 public:
  using ClusterWorker::ClusterWorker;

  // Connect every shard of our range, then say so. meganed counts the cluster ready (and
  // starts the next cluster's shards, when they wait for identify) only after report_ready().
  boost::asio::awaitable<void> launch() override {
    logger().info("bot '{}', cluster {}: shards {}-{} of {}", bot_name(), cluster_id(),
                  first_shard(), first_shard() + shard_count() - 1, total_shards());
    boost::asio::steady_timer timer(io());
    for (std::uint32_t shard = first_shard(); shard < shards().end(); ++shard) {
      timer.expires_after(50ms);  // stands in for the gateway handshake
      co_await timer.async_wait(boost::asio::use_awaitable);
      logger().info("shard {} connected", shard);
    }
    report_ready();

    if (const char* service = std::getenv("EXAMPLE_SERVICE")) {
      // Failures (no such service, timeout...) are values: check ok() and read message.
      const megane::CommandReply reply = co_await send_service_command(service, R"({"op":"PING"})");
      if (reply.ok()) {
        logger().info("service '{}' answered {}", service, reply.data.text());
      } else {
        logger().warn("service '{}' did not answer: {}", service, reply.message);
      }
    }
    // Returning is fine: the process keeps running (and answering meganed) until stopped.
  }

  // Commands sent to this cluster (by other clusters, services or meganectl).
  boost::asio::awaitable<CommandResult> handle_command(const megane::CommandRequest& request) override {
    std::string_view op;
    if (request.json()["op"].get(op) == simdjson::SUCCESS && op == "SHARDS") {
      co_return CommandResult::ok(fmt::format(R"({{"cluster":{},"shards":[{},{}]}})", cluster_id(),
                                              first_shard(), shards().end() - 1));
    }
    co_return CommandResult::error("Unknown command");
  }

  // Sent once per daemon start, when every cluster has reported ready.
  void all_clusters_ready() override { logger().info("all clusters are ready"); }

  // Called on SIGTERM (meganed stopping or restarting us) or when the daemon goes away.
  boost::asio::awaitable<void> shutdown() override {
    logger().info("disconnecting {} shards", shard_count());
    co_return;
  }
};

}  // namespace

int main(int argc, char** argv) { return megane::run<ExampleBot>(argc, argv); }
