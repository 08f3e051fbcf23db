#include "command_runners.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "exception_text.hpp"

namespace megane::detail {

namespace asio = boost::asio;

struct CommandRunners::Runner {
  // Resumes the parked coroutine: true with `next` filled in, false to make it end.
  using Wake = asio::async_result<asio::use_awaitable_t<>, void(bool)>::handler_type;

  asio::cancellation_signal signal;
  std::optional<Wake> parked;
  std::optional<Delivery> next;
  bool done = false;  // its loop returned; co_spawn's completion may still be on its way
};

CommandRunners::CommandRunners(asio::io_context& io, std::shared_ptr<spdlog::logger> logger, Handle handle,
                               std::size_t max_idle)
    : io_(io), logger_(std::move(logger)), handle_(std::move(handle)), max_idle_(max_idle) {}

// A runner still parked here holds its coroutine through `parked`; freeing that has the
// io_context destroy the coroutine later, unresumed. Neither that nor the destruction of a busy
// one (still queued in the io_context) touches the runner or its signal.
CommandRunners::~CommandRunners() = default;

void CommandRunners::run(Delivery delivery) {
  if (stopping_) return;
  reclaim();  // runners that ended (after a burst, past max_idle) are freed here
  if (parked_.empty()) {
    spawn(std::move(delivery));
    return;
  }
  Runner* r = parked_.back();
  parked_.pop_back();
  r->next.emplace(std::move(delivery));
  Runner::Wake wake = std::move(*r->parked);
  r->parked.reset();
  // Resumes the coroutine right here, as dispatch would on this thread. What it lets escape
  // reaches co_spawn's completion, not us.
  std::move(wake)(true);
}

void CommandRunners::spawn(Delivery delivery) {
  live_.push_back(std::make_unique<Runner>());
  Runner* r = live_.back().get();
  // Started inline (we are on the loop): the first delivery is handled before this returns.
  asio::co_spawn(io_, loop(*r, std::move(delivery)),
                 asio::bind_cancellation_slot(r->signal.slot(), [this, r](std::exception_ptr e) {
                   if (e) logger_->error("command handler failed: {}", exception_text(e));
                   ended(r);
                 }));
}

asio::awaitable<void> CommandRunners::loop(Runner& runner, Delivery first) {
  // `done` is set on the way out, not from a destructor: a busy coroutine can be destroyed
  // with the io_context after this pool (and its runners) are gone.
  try {
    Delivery job = std::move(first);
    for (;;) {
      // Each handler starts with the coroutine's defaults, as under a co_spawn of its own:
      // what the last one set (throw_if_cancelled, a cancellation filter) does not carry over.
      co_await asio::this_coro::reset_cancellation_state();
      co_await asio::this_coro::throw_if_cancelled(true);
      co_await handle_(job);
      if (stopping_ || parked_.size() >= max_idle_) break;
      const bool go = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(bool)>(
          [this, &runner](Runner::Wake wake) {
            // Listed as parked only once it is: nothing can pick a runner that has no way in.
            runner.parked.emplace(std::move(wake));
            parked_.push_back(&runner);
          },
          asio::use_awaitable);
      if (!go || !runner.next) break;
      job = std::move(*runner.next);
      runner.next.reset();
    }
  } catch (...) {
    runner.done = true;
    throw;
  }
  runner.done = true;
}

void CommandRunners::ended(Runner* runner) {
  std::erase(parked_, runner);  // not parked when it ends, but cheap to be sure
  auto it = std::find_if(live_.begin(), live_.end(), [runner](const auto& r) { return r.get() == runner; });
  if (it == live_.end()) return;
  ended_.push_back(std::move(*it));
  live_.erase(it);
}

void CommandRunners::reclaim() { ended_.clear(); }

void CommandRunners::cancel_all() {
  if (stopping_) return;
  stopping_ = true;
  reclaim();
  std::vector<Runner*> busy;
  std::vector<Runner*> parked;
  for (const auto& r : live_) {
    if (r->parked) parked.push_back(r.get());
    else if (!r->done) busy.push_back(r.get());  // a signal to a finished coroutine would throw from run()
  }
  parked_.clear();
  for (Runner* r : busy) r->signal.emit(asio::cancellation_type::terminal);
  for (Runner* r : parked) {
    Runner::Wake wake = std::move(*r->parked);
    r->parked.reset();
    std::move(wake)(false);  // it ends; its completion comes later, from the loop
  }
}

}  // namespace megane::detail
