// Runs command handlers on a pool of long-lived coroutines instead of one co_spawn per command.
// A spawned coroutine costs a frame, a cancellation state and a posted completion each time;
// with 64 commands in flight that was about a third of an echo service's CPU per command. A
// parked runner is resumed inline with the next delivery, so handlers still start on the loop
// in arrival order (one sender's fire-and-forget commands stay in order up to their first
// suspension). A handler that suspends keeps its runner and the next delivery takes another,
// or a new one: a slow handler never holds up the next command. Runners beyond `max_idle`
// that fall idle end, so a burst of slow handlers does not leave a crowd of coroutines behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <megane/sdk/commands.hpp>

namespace spdlog {
class logger;
}

namespace megane::detail {

// One delivered command: what the handler gets, and where its answer goes (0: nowhere).
struct Delivery {
  std::uint32_t request_id = 0;
  CommandRequest request;
};

// The io_context must outlive the pool (it destroys the coroutines), and a busy coroutine must
// not be resumed after the pool is gone: stop with cancel_all() and let the loop drain, or
// stop the loop (the SDK's runtime does one or the other before it destroys the pool).
class CommandRunners {
 public:
  // Handles one delivery to the end, answer included; must not throw (what escapes is logged).
  using Handle = std::function<boost::asio::awaitable<void>(Delivery&)>;

  CommandRunners(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> logger, Handle handle,
                 std::size_t max_idle = 32);
  ~CommandRunners();
  CommandRunners(const CommandRunners&) = delete;
  CommandRunners& operator=(const CommandRunners&) = delete;

  // Starts the delivery's handler now, on the calling thread (the loop's), until it first
  // suspends. Dropped after cancel_all().
  void run(Delivery delivery);

  // Stopping: parked runners end; busy ones get a terminal cancellation (their handler's
  // pending operation fails with operation_aborted). Call it from a handler of its own (post
  // first), not from inside a command handler: Asio's co_spawn throws out of run() when a
  // coroutine cancelled before its first suspension completes.
  void cancel_all();

  std::size_t idle() const noexcept { return parked_.size(); }
  std::size_t runners() const noexcept { return live_.size(); }

 private:
  struct Runner;
  boost::asio::awaitable<void> loop(Runner& runner, Delivery first);
  void spawn(Delivery delivery);
  void ended(Runner* runner);
  void reclaim();

  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> logger_;
  Handle handle_;
  std::size_t max_idle_;
  std::vector<std::unique_ptr<Runner>> live_;
  std::vector<Runner*> parked_;  // LIFO: the runner that parked last is the warmest
  // Runners whose coroutine completed. co_spawn still refers to their cancellation signal
  // while it unwinds from the completion handler, so they are freed later (next delivery, stop).
  std::vector<std::unique_ptr<Runner>> ended_;
  bool stopping_ = false;
};

}  // namespace megane::detail
