// The SDK's pool of command-handler coroutines (sdk/src/command_runners.cpp), on a bare
// io_context: handlers start in arrival order and at once, a suspended handler does not hold
// up the next delivery, idle runners are reused and capped, and stopping ends them all.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "catch.hpp"
#include "src/command_runners.hpp"

namespace {

namespace asio = boost::asio;
using megane::detail::CommandRunners;
using megane::detail::Delivery;
using namespace std::chrono_literals;

std::shared_ptr<spdlog::logger> quiet_logger() {
  return std::make_shared<spdlog::logger>("runners-test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

Delivery numbered(std::uint32_t id) {
  Delivery d;
  d.request_id = id;
  d.request.data = megane::JsonText(std::to_string(id));
  return d;
}

// Records each handler's start and end; handlers with an odd id wait `pause` on a timer.
struct Recorder {
  explicit Recorder(asio::io_context& context, std::chrono::milliseconds wait = 0ms) : io(context), pause(wait) {}

  asio::io_context& io;
  std::chrono::milliseconds pause;
  std::vector<std::uint32_t> started;
  std::vector<std::uint32_t> finished;
  std::vector<std::uint32_t> aborted;

  asio::awaitable<void> handle(Delivery& d) {
    started.push_back(d.request_id);
    if (pause.count() > 0 && d.request_id % 2 == 1) {
      asio::steady_timer t(io, pause);
      const auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        aborted.push_back(d.request_id);
        co_return;
      }
    }
    finished.push_back(d.request_id);
  }
};

CommandRunners::Handle handle_with(Recorder& r) {
  return [&r](Delivery& d) { return r.handle(d); };
}

// Runs the loop's handlers one at a time until `done` holds (parked runners keep the loop
// from running out of work, as in a worker until it stops); fails rather than hangs when
// nothing happens for a while.
template <class Done>
void run_until(asio::io_context& io, Done done) {
  while (!done()) REQUIRE(io.run_one_for(std::chrono::seconds(5)) == 1);
}

// What the worker does when it stops: after cancel_all() nothing is left, and run() returns.
void stop(asio::io_context& io, CommandRunners& runners) {
  asio::post(io, [&] { runners.cancel_all(); });
  io.run();
  CHECK(runners.runners() == 0);
}

}  // namespace

TEST_CASE("command runners: handlers that never suspend share one runner, in order", "[unit][sdk]") {
  asio::io_context io;
  Recorder rec(io);
  CommandRunners runners(io, quiet_logger(), handle_with(rec));
  asio::post(io, [&] {
    for (std::uint32_t id = 1; id <= 100; ++id) {
      runners.run(numbered(id));
      // Started and done before run() returned: nothing waits for a later loop round.
      REQUIRE(rec.finished.size() == id);
    }
  });
  run_until(io, [&] { return rec.finished.size() == 100; });
  std::vector<std::uint32_t> expected;
  for (std::uint32_t id = 1; id <= 100; ++id) expected.push_back(id);
  CHECK(rec.started == expected);
  CHECK(rec.finished == expected);
  CHECK(runners.runners() == 1);
  CHECK(runners.idle() == 1);
  stop(io, runners);
}

TEST_CASE("command runners: a suspended handler does not hold up the next delivery", "[unit][sdk]") {
  asio::io_context io;
  Recorder rec(io, 20ms);
  CommandRunners runners(io, quiet_logger(), handle_with(rec));
  asio::post(io, [&] {
    for (std::uint32_t id = 1; id <= 10; ++id) runners.run(numbered(id));
    // Every handler started at once; the even ones are done, the odd ones wait on timers.
    CHECK(rec.started == std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    CHECK(rec.finished == std::vector<std::uint32_t>{2, 4, 6, 8, 10});
    // Five runners are suspended; each even delivery ran on the one runner parked at the time.
    CHECK(runners.runners() == 6);
  });
  run_until(io, [&] { return rec.finished.size() == 10; });
  CHECK(rec.aborted.empty());
  CHECK(runners.idle() == runners.runners());
  stop(io, runners);
}

TEST_CASE("command runners: idle runners beyond the cap end", "[unit][sdk]") {
  asio::io_context io;
  Recorder rec(io, 10ms);
  CommandRunners runners(io, quiet_logger(), handle_with(rec), /*max_idle=*/3);
  asio::post(io, [&] {
    // 20 suspended at once: 20 runners.
    for (std::uint32_t id = 1; id <= 40; id += 2) runners.run(numbered(id));
    CHECK(runners.runners() == 20);
  });
  run_until(io, [&] { return rec.finished.size() == 20 && runners.runners() == 3; });
  CHECK(runners.idle() == 3);
  // The parked ones are reused: a new burst of quick handlers spawns nothing.
  asio::post(io, [&] {
    for (std::uint32_t id = 100; id <= 110; id += 2) runners.run(numbered(id));
    CHECK(rec.finished.size() == 26);
    CHECK(runners.runners() == 3);
  });
  stop(io, runners);
}

TEST_CASE("command runners: cancel_all aborts busy handlers, ends parked runners, drops later deliveries",
          "[unit][sdk]") {
  asio::io_context io;
  Recorder rec(io, 10s);  // odd ids would wait far longer than the test
  CommandRunners runners(io, quiet_logger(), handle_with(rec));
  asio::post(io, [&] {
    for (std::uint32_t id = 1; id <= 6; ++id) runners.run(numbered(id));
    // 1 on a runner of its own; 2 and 4 each on a new runner that then took 3 and 5; 6 on a
    // fourth, now parked.
    CHECK(runners.runners() == 4);
    runners.cancel_all();
    runners.run(numbered(8));
  });
  const auto started = std::chrono::steady_clock::now();
  io.run();  // returns: nothing is left waiting, not even a parked runner
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK(rec.aborted == std::vector<std::uint32_t>{1, 3, 5});
  CHECK(rec.finished == std::vector<std::uint32_t>{2, 4, 6});
  CHECK(rec.started.size() == 6);  // 8 came after the stop
  CHECK(runners.runners() == 0);
  CHECK(runners.idle() == 0);
}

TEST_CASE("command runners: a handler that throws ends its runner, and the next delivery still runs",
          "[unit][sdk]") {
  asio::io_context io;
  std::vector<std::uint32_t> handled;
  CommandRunners runners(io, quiet_logger(), [&](Delivery& d) -> asio::awaitable<void> {
    if (d.request_id == 2) throw std::runtime_error("broken handler");
    handled.push_back(d.request_id);
    co_return;
  });
  asio::post(io, [&] {
    runners.run(numbered(1));
    runners.run(numbered(2));
    runners.run(numbered(3));
  });
  run_until(io, [&] { return handled.size() == 2 && runners.runners() == 1; });
  CHECK(handled == std::vector<std::uint32_t>{1, 3});
  stop(io, runners);
}

TEST_CASE("command runners: destroyed with runners parked and busy, without a stop", "[unit][sdk]") {
  // A worker that fails before its stop sequence destroys the pool as it is; nothing may be
  // touched after it is freed (the ASan build checks).
  asio::io_context io;
  Recorder rec(io, 10s);
  {
    CommandRunners runners(io, quiet_logger(), handle_with(rec));
    asio::post(io, [&] {
      runners.run(numbered(1));  // suspended
      runners.run(numbered(2));  // done, its runner parked
    });
    run_until(io, [&] { return rec.finished.size() == 1; });
    CHECK(runners.idle() == 1);
    CHECK(runners.runners() == 2);
  }
  io.stop();  // the busy one's timer is still queued; destroying io frees it
}
