// The SDK's table of requests waiting for meganed's replies (sdk/src/reply_waiters.cpp), on a
// bare io_context: how a reply resumes its coroutine (inline on the loop, or posted), where an
// exception thrown by the resumed coroutine goes, and the deadline and cancellation answers.
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// What IpcClient does when it closes. The table keeps its timer armed for the earliest
// deadline it has seen even when nothing waits any more (re-arming per request would cost a
// timerfd update each); closing cancels it, so io.run() returns without waiting for it.
void close(ReplyWaiters& waiters) { waiters.complete_all(Reply{}); }

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
    close(waiters);
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
    close(waiters);
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
  asio::post(io, [&] {
    stop.emit(asio::cancellation_type::terminal);
    close(waiters);
  });
  io.run();
  REQUIRE(got);
  CHECK(got->status == IpcStatus::cancelled);
  CHECK_FALSE(waiters.contains(request_id));
}

namespace {

// What IpcClient::request_batch does after it has sent the frames: one coroutine, three ids
// (the middle one never sent when `middle_sent` is false: its answer is already in place).
asio::awaitable<std::vector<Reply>> wait_for_batch(ReplyWaiters& waiters, std::chrono::milliseconds timeout,
                                                   bool middle_sent = true) {
  const std::vector<ReplyWaiters::BatchMember> members{{10, megane::proto::MessageType::store_get},
                                                       {middle_sent ? 11u : 0u, megane::proto::MessageType::store_set},
                                                       {12, megane::proto::MessageType::store_increment}};
  std::vector<Reply> replies(members.size());
  replies[1].status = IpcStatus::disconnected;
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::vector<Reply>)>(
      [&](ReplyWaiters::BatchHandler handler) {
        waiters.add_batch(members, std::move(replies), timeout, std::move(handler));
      },
      asio::use_awaitable);
}

}  // namespace

TEST_CASE("reply waiters: a batch resumes once, when its last reply is in, with the replies in request order",
          "[sdk][ipc]") {
  const bool middle_sent = GENERATE(true, false);
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  std::optional<std::vector<Reply>> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await wait_for_batch(waiters, 10s, middle_sent); },
                 rethrow);
  asio::post(io, [&] {
    CHECK(waiters.contains(10));
    CHECK(waiters.contains(11) == middle_sent);
    // Out of order, as replies to different keys may be (the daemon answers in order, but a
    // batch must not depend on it).
    CHECK(waiters.complete(12, reply_with(3), ReplyWaiters::Resume::dispatch));
    CHECK_FALSE(got);
    if (middle_sent) CHECK(waiters.complete(11, reply_with(2), ReplyWaiters::Resume::dispatch));
    CHECK_FALSE(got);
    CHECK(waiters.complete(10, reply_with(1), ReplyWaiters::Resume::dispatch));
    CHECK(got);  // the last one resumed it inline
    close(waiters);
  });
  io.run();
  REQUIRE(got);
  REQUIRE(got->size() == 3);
  CHECK((*got)[0].payload == megane::proto::Bytes{1});
  if (middle_sent) CHECK((*got)[1].payload == megane::proto::Bytes{2});
  else CHECK((*got)[1].status == IpcStatus::disconnected);  // kept as given
  CHECK((*got)[2].payload == megane::proto::Bytes{3});
  CHECK_FALSE(waiters.contains(10));
  CHECK_FALSE(waiters.contains(12));
}

TEST_CASE("reply waiters: a batch member without a reply times out on its own, the others keep theirs",
          "[sdk][ipc]") {
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  std::optional<std::vector<Reply>> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await wait_for_batch(waiters, 20ms); }, rethrow);
  asio::post(io, [&] {
    CHECK(waiters.complete(10, reply_with(1)));
    CHECK(waiters.complete(12, reply_with(3)));
  });
  io.run();
  REQUIRE(got);
  REQUIRE(got->size() == 3);
  CHECK((*got)[0].ok());
  CHECK((*got)[1].status == IpcStatus::timeout);
  CHECK((*got)[1].error.message.find("store_set") != std::string::npos);
  CHECK((*got)[2].payload == megane::proto::Bytes{3});
  CHECK_FALSE(waiters.complete(11, reply_with(2)));  // late
}

TEST_CASE("reply waiters: cancelling a batch's coroutine answers its open members cancelled, once",
          "[sdk][ipc]") {
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  asio::cancellation_signal stop;
  std::optional<std::vector<Reply>> got;
  int resumed = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        got = co_await wait_for_batch(waiters, 10s);
        ++resumed;
      },
      asio::bind_cancellation_slot(stop.slot(), rethrow));
  asio::post(io, [&] {
    CHECK(waiters.complete(10, reply_with(1)));
    stop.emit(asio::cancellation_type::terminal);
    CHECK_FALSE(waiters.contains(11));
    CHECK_FALSE(waiters.contains(12));
    close(waiters);
  });
  io.run();
  CHECK(resumed == 1);
  REQUIRE(got);
  CHECK((*got)[0].ok());
  CHECK((*got)[1].status == IpcStatus::cancelled);
  CHECK((*got)[2].status == IpcStatus::cancelled);
}

TEST_CASE("reply waiters: a closed connection answers every member of a batch", "[sdk][ipc]") {
  asio::io_context io;
  ReplyWaiters waiters(io.get_executor());
  std::optional<std::vector<Reply>> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await wait_for_batch(waiters, 10s); }, rethrow);
  asio::post(io, [&] {
    Reply closed;
    closed.status = IpcStatus::disconnected;
    waiters.complete_all(closed);
  });
  io.run();
  REQUIRE(got);
  for (const Reply& r : *got) CHECK(r.status == IpcStatus::disconnected);
}
