// The smallest useful megane cluster worker. meganed starts this program once per cluster;
// megane::run() connects it to the daemon and tells it which shards are its own.
//
// Gateway connections are simulated with a short timer per shard for now; the SDK's gateway
// client will replace that part.
#include <chrono>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <megane/sdk/cluster_worker.hpp>
#include <megane/sdk/run.hpp>

namespace {

using namespace std::chrono_literals;

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
    // Returning is fine: the process keeps running (and answering meganed) until stopped.
  }

  // Called on SIGTERM (meganed stopping or restarting us) or when the daemon goes away.
  boost::asio::awaitable<void> shutdown() override {
    logger().info("disconnecting {} shards", shard_count());
    co_return;
  }
};

}  // namespace

int main(int argc, char** argv) { return megane::run<ExampleBot>(argc, argv); }
