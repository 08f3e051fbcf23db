// megane_bench_service: the far end of the command benchmark (bench/commands.sh). A service
// worker that answers every command with its own data, unparsed: the benchmark measures the
// path through meganed and the SDK, so the handler itself must cost next to nothing.
#include <megane/sdk/run.hpp>
#include <megane/sdk/service_worker.hpp>

namespace {

class EchoService final : public megane::ServiceWorker {
 public:
  using ServiceWorker::ServiceWorker;

  boost::asio::awaitable<void> launch() override {
    send_ready();
    co_return;
  }

  boost::asio::awaitable<megane::CommandResult> handle_command(
      const megane::CommandRequest& request) override {
    co_return megane::CommandResult::ok(request.text());
  }
};

}  // namespace

int main(int argc, char** argv) { return megane::run<EchoService>(argc, argv); }
