// The SDK's table of requests waiting for meganed's replies (sdk/src/reply_waiters.cpp), on a
// bare io_context: how a reply resumes its coroutine (inline on the loop, or posted), where an
// exception thrown by the resumed coroutine goes, and the deadline and cancellation answers.
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "catch.hpp"
#include "src/reply_waiters.hpp"

namespace {

namespace asio = boost::asio;
using megane::IpcStatus;
using megane::Reply;
using megane::detail::ReplyWaiters;
using namespace std::chrono_literals;

constexpr std::uint32_t request_id = 7;

// What IpcClient::request does after it has sent the frame: park the coroutine in the table.
asio::awaitable<Reply> wait_for(ReplyWaiters& waiters, std::chrono::milliseconds timeout) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Reply)>(
      [&](ReplyWaiters::Handler handler) {
        waiters.add(request_id, megane::proto::MessageType::store_get, timeout, std::move(handler));
      },
      asio::use_awaitable);
}

Reply reply_with(std::uint8_t byte) {
  Reply r;
  r.payload = {byte};
  return r;
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// Runs what it is given at once, on the caller's stack, and lets exceptions through.
struct InlineExecutor {
  asio::execution_context* context;

  template <typename F>
  void execute(F&& f) const {
    std::forward<F>(f)();
  }
  asio::execution_context& query(asio::execution::context_t) const noexcept { return *context; }
  static constexpr asio::execution::blocking_t::always_t query(asio::execution::blocking_t) noexcept {
    return asio::execution::blocking.always;
  }
  bool operator==(const InlineExecutor& other) const noexcept { return context == other.context; }
  bool operator!=(const InlineExecutor& other) const noexcept { return context != other.context; }
};

}  // namespace

TEST_CASE("reply waiters: a reply dispatched on the loop resumes its coroutine before complete() returns, "
          "a posted one after",
          "[sdk][ipc]") {
  const auto how = GENERATE(ReplyWaiters::Resume::dispatch, ReplyWaiters::Resume::post);
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  std::optional<Reply> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await wait_for(waiters, 10s); }, rethrow);
  std::optional<bool> resumed_inline;
  asio::post(io, [&] {
    CHECK(waiters.contains(request_id));
    CHECK(waiters.complete(request_id, reply_with(42), how));
    resumed_inline = got.has_value();  // read before anything else the loop runs
  });
  io.run();
  REQUIRE(resumed_inline);
  CHECK(*resumed_inline == (how == ReplyWaiters::Resume::dispatch));
  REQUIRE(got);
  CHECK(got->ok());
  CHECK(got->payload == megane::proto::Bytes{42});
  CHECK_FALSE(waiters.contains(request_id));
  CHECK_FALSE(waiters.complete(request_id, reply_with(1)));  // answered once only
}

TEST_CASE("reply waiters: an exception thrown by a coroutine resumed inline leaves through run(), not the reader",
          "[sdk][ipc]") {
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  // The coroutine's completion handler rethrows, and runs on an executor that calls it
  // inline without catching (the io_context's own executor would capture the exception), so
  // the exception comes up through the handler call that complete() makes: from inside the
  // IPC read batch, in real use.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        (void)co_await wait_for(waiters, 10s);
        throw std::runtime_error("thrown after the reply");
      },
      asio::bind_executor(InlineExecutor{&io}, rethrow));
  bool reader_went_on = false;
  asio::post(io, [&] {
    CHECK(waiters.complete(request_id, reply_with(3), ReplyWaiters::Resume::dispatch));
    reader_went_on = true;  // the rest of the read batch still runs
  });
  bool ran_after = false;
  asio::post(io, [&] { ran_after = true; });
  REQUIRE_THROWS_WITH(io.run(), "thrown after the reply");
  CHECK(reader_went_on);
  // run() can be called again, as after any exception from a handler: the loop goes on.
  io.restart();
  io.run();
  CHECK(ran_after);
}

TEST_CASE("reply waiters: no reply within the deadline answers timeout", "[sdk][ipc]") {
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  std::optional<Reply> got;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await wait_for(waiters, 20ms); }, rethrow);
  io.run();
  REQUIRE(got);
  CHECK(got->status == IpcStatus::timeout);
  CHECK(got->error.message.find("within 20 ms") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start >= 20ms);
  CHECK_FALSE(waiters.complete(request_id, reply_with(1)));  // a late reply finds nobody
}

TEST_CASE("reply waiters: a cancelled coroutine is answered cancelled and leaves the table", "[sdk][ipc]") {
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  asio::cancellation_signal stop;
  std::optional<Reply> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await wait_for(waiters, 10s); },
                 asio::bind_cancellation_slot(stop.slot(), rethrow));
  asio::post(io, [&] { stop.emit(asio::cancellation_type::terminal); });
  io.run();
  REQUIRE(got);
  CHECK(got->status == IpcStatus::cancelled);
  CHECK_FALSE(waiters.contains(request_id));
}
