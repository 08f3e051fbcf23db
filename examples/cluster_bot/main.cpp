// The smallest useful megane cluster worker. meganed starts this program once per cluster;
// megane::run() connects it to the daemon and tells it which shards are its own.
//
// launch() connects the cluster's shards to the gateway (Discord, or fakecord in the demo) and
// reports ready once every shard is READY. It counts guilds and messages as they arrive, and
// answers two cluster commands:
//   meganectl command --cluster all '{"op":"SHARDS"}'   shard range, states and guilds
//   meganectl command --cluster all '{"op":"STATS"}'    messages seen
// If EXAMPLE_SERVICE names a service (see examples/service), it PINGs it once ready.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <megane/sdk/cluster_worker.hpp>
#include <megane/sdk/run.hpp>

namespace {

using megane::CommandResult;

class ExampleBot final : public megane::ClusterWorker {
 public:
  using ClusterWorker::ClusterWorker;

  boost::asio::awaitable<void> launch() override {
    logger().info("bot '{}', cluster {}: shards {}-{} of {}", bot_name(), cluster_id(),
                  first_shard(), first_shard() + shard_count() - 1, total_shards());
    // Handlers first: READY and the first GUILD_CREATEs arrive while connect_gateway() runs.
    gateway().on("GUILD_CREATE", [this](const megane::Dispatch&) { ++guild_creates_; });
    gateway().on("MESSAGE_CREATE", [this](const megane::Dispatch& message) {
      ++messages_;
      std::string_view content;
      if (message.data["content"].get_string().get(content) == simdjson::SUCCESS && content == "!ping") {
        logger().info("ping in shard {}", message.shard_id);
      }
    });
    try {
      co_await connect_gateway();
    } catch (const std::runtime_error& e) {
      // config/meganed.example.toml ships with [gateway] commented out (no token): run anyway.
      logger().warn("{}: running without a gateway", e.what());
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
    // Returning is fine: the process keeps running (and the shards connected) until stopped.
  }

  // Commands sent to this cluster (by other clusters, services or meganectl).
  boost::asio::awaitable<CommandResult> handle_command(const megane::CommandRequest& request) override {
    std::string_view op;
    if (request.json()["op"].get(op) != simdjson::SUCCESS) co_return CommandResult::error("Unknown command");
    if (op == "SHARDS") {
      std::string shards;
      for (const megane::ShardReport& s : gateway().shards()) {
        if (!shards.empty()) shards += ',';
        shards += fmt::format(R"({{"id":{},"state":"{}","guilds":{},"latency_ms":{}}})", s.status.shard_id,
                              megane::proto::to_string(s.status.state), s.status.guilds, s.status.latency_ms);
      }
      co_return CommandResult::ok(fmt::format(R"({{"cluster":{},"shards":[{}]}})", cluster_id(), shards));
    }
    if (op == "STATS") {
      co_return CommandResult::ok(fmt::format(R"({{"cluster":{},"guild_creates":{},"messages":{}}})",
                                              cluster_id(), guild_creates_, messages_));
    }
    co_return CommandResult::error("Unknown command");
  }

  // Sent once per daemon start, when every cluster has reported ready.
  void all_clusters_ready() override { logger().info("all clusters are ready"); }

  // Called on SIGTERM (meganed stopping or restarting us) or when the daemon goes away. The
  // SDK closes the shards afterwards, keeping their sessions resumable.
  boost::asio::awaitable<void> shutdown() override {
    logger().info("stopping after {} messages", messages_);
    co_return;
  }

 private:
  std::uint64_t guild_creates_ = 0;
  std::uint64_t messages_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return megane::run<ExampleBot>(argc, argv); }
