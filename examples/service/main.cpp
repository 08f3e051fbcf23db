// The smallest useful megane service. meganed runs it once, next to the bot's clusters (a
// `[[services]]` entry in the config); any process reaches it by name:
//
//   auto reply = co_await send_service_command("example-service", R"({"op":"PING"})");
//   // reply.ok(), reply.data.text() == R"("PONG")"
//
// Real services poll an API, run a scheduler or own a shared resource; this one answers
//   {"op":"PING"}               -> "PONG"
//   {"op":"ECHO","data":<any>}  -> <any>
//   anything else               -> the error "Unknown command"
#include <string_view>

#include <megane/sdk/run.hpp>
#include <megane/sdk/service_worker.hpp>

namespace {

using megane::CommandResult;

class ExampleService final : public megane::ServiceWorker {
 public:
  using ServiceWorker::ServiceWorker;

  // Set up whatever the service needs, then say so: until send_ready() meganed counts the
  // service as starting (and restarts it if its ready_timeout passes first).
  boost::asio::awaitable<void> launch() override {
    logger().info("service '{}' of bot '{}' started", service_name(), bot_name());
    send_ready();
    co_return;
  }

  // Runs on the service's event loop; the SDK sends the result back to the caller.
  boost::asio::awaitable<CommandResult> handle_command(const megane::CommandRequest& request) override {
    std::string_view op;
    if (request.json()["op"].get(op) != simdjson::SUCCESS) co_return CommandResult::error("Unknown command");
    if (op == "PING") co_return CommandResult::ok(R"("PONG")");
    if (op == "ECHO") {
      simdjson::dom::element data;
      if (request.json()["data"].get(data) != simdjson::SUCCESS) {
        co_return CommandResult::error("ECHO needs \"data\"");
      }
      co_return CommandResult::ok(simdjson::minify(data));
    }
    co_return CommandResult::error("Unknown command");
  }
};

}  // namespace

int main(int argc, char** argv) { return megane::run<ExampleService>(argc, argv); }
