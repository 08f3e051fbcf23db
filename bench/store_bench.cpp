// megane_store_bench: GET or SET throughput of the central store over the real socket, through
// the real SDK (megane::IpcClient + megane::Store), from a process connected as a control
// client. bench/store_vs_redis.sh runs it next to redis-benchmark; numbers only, no asserts.
//
//   megane_store_bench --socket PATH --op get|set [--ops 200000] [--in-flight 16]
//                      [--keys 10000] [--value-bytes 16] [--batch 1] [--pipeline 1]
//
// Keys are "key:" + 12 digits (redis-benchmark's -r key shape), chosen uniformly at random;
// values are --value-bytes of 'x'. --in-flight N runs N coroutines on one connection, each
// awaiting its own op before issuing the next: at most N requests are outstanding, which is
// close to what redis-benchmark -P N (pipelining) gives Redis; --batch 1 copies -P exactly:
// issue N, await all N, repeat. --pipeline 1 has the same shape through the SDK's pipelining
// API: each round is one megane::StoreBatch of N ops (one write, one resumption per round), the
// closest match of what redis-benchmark -P N does. GET first writes every key once
// (untimed), so every GET finds its key. Prints one line:
//   op=get in_flight=16 ops=200000 seconds=0.812 ops_per_sec=246305
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <megane/sdk/ipc_client.hpp>
#include <megane/sdk/store.hpp>
#include <megane/sdk/store_batch.hpp>

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string socket;
  std::string op = "get";
  std::uint64_t ops = 200'000;
  std::uint64_t in_flight = 1;
  std::uint64_t keys = 10'000;
  std::uint64_t value_bytes = 16;
  bool batch = false;     // --batch 1: rounds of in_flight ops, each round awaited whole
  bool pipeline = false;  // --pipeline 1: those rounds as one StoreBatch each
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    const std::string_view value = argv[i + 1];
    auto number = [&](std::uint64_t& out) {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
      return ec == std::errc{} && end == value.data() + value.size() && out > 0;
    };
    bool ok = true;
    if (name == "--socket") o.socket = value;
    else if (name == "--op") o.op = value;
    else if (name == "--ops") ok = number(o.ops);
    else if (name == "--in-flight") ok = number(o.in_flight);
    else if (name == "--keys") ok = number(o.keys);
    else if (name == "--value-bytes") ok = number(o.value_bytes);
    else if (name == "--batch") o.batch = value == "1";
    else if (name == "--pipeline") o.pipeline = value == "1";
    else ok = false;
    if (!ok) return false;
  }
  return argc % 2 == 1 && !o.socket.empty() && (o.op == "get" || o.op == "set");
}

std::string key_of(std::uint64_t n) { return fmt::format("key:{:012}", n); }

struct Run {
  Options options;
  std::string value;
  // Every key, formatted once before the clock starts: redis-benchmark substitutes its random
  // digits in place, so formatting per op would charge the client a cost Redis's does not pay.
  std::vector<std::string> keys;
  std::uint64_t issued = 0;
  std::uint64_t lanes_left = 0;
  std::string error;  // the first failure
  Clock::time_point started;
  Clock::time_point finished;
};

// One lane: awaits each op before the next, until the run has issued all its ops.
asio::awaitable<void> lane(megane::Store store, std::shared_ptr<Run> run, bool is_get, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::uint64_t> pick(0, run->options.keys - 1);
  while (run->issued < run->options.ops && run->error.empty()) {
    ++run->issued;
    const std::string& key = run->keys[pick(rng)];
    if (is_get) {
      const auto r = co_await store.get(key);
      if (!r.ok() || !r.value) run->error = r.ok() ? "a GET found no value" : r.message;
    } else {
      const auto r = co_await store.set(key, run->value);
      if (!r.ok()) run->error = r.message;
    }
  }
}

// Runs options.in_flight lanes to completion, options.ops ops in all; false on any failure.
asio::awaitable<bool> run_lanes(megane::Store store, std::shared_ptr<Run> run, bool is_get) {
  const auto ex = co_await asio::this_coro::executor;
  const std::uint64_t lanes = run->options.in_flight;
  run->lanes_left = lanes;
  asio::steady_timer done(ex, asio::steady_timer::time_point::max());
  run->started = Clock::now();
  for (std::uint64_t i = 0; i < lanes; ++i) {
    asio::co_spawn(ex, lane(store, run, is_get, 0x5EED + i), [run, &done](std::exception_ptr e) {
      if (e) run->error = "a lane threw";
      if (--run->lanes_left == 0) {
        run->finished = Clock::now();
        done.cancel();
      }
    });
  }
  while (run->lanes_left > 0) co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return run->error.empty();
}

// --batch 1, redis-benchmark -P's shape: issue in_flight ops, await all of them, repeat.
asio::awaitable<bool> run_batches(megane::Store store, std::shared_ptr<Run> run, bool is_get) {
  const auto ex = co_await asio::this_coro::executor;
  asio::steady_timer done(ex);
  std::mt19937_64 rng(0x5EED);
  std::uniform_int_distribution<std::uint64_t> pick(0, run->options.keys - 1);
  auto one = [](megane::Store st, std::shared_ptr<Run> r, bool get, std::uint64_t key) -> asio::awaitable<void> {
    if (get) {
      const auto res = co_await st.get(r->keys[key]);
      if (!res.ok() || !res.value) r->error = res.ok() ? "a GET found no value" : res.message;
    } else {
      const auto res = co_await st.set(r->keys[key], r->value);
      if (!res.ok()) r->error = res.message;
    }
  };
  run->started = Clock::now();
  while (run->issued < run->options.ops && run->error.empty()) {
    const std::uint64_t n = std::min(run->options.in_flight, run->options.ops - run->issued);
    run->issued += n;
    run->lanes_left = n;
    done.expires_at(asio::steady_timer::time_point::max());
    for (std::uint64_t i = 0; i < n; ++i) {
      asio::co_spawn(ex, one(store, run, is_get, pick(rng)), [run, &done](std::exception_ptr e) {
        if (e) run->error = "an op threw";
        if (--run->lanes_left == 0) done.cancel();
      });
    }
    while (run->lanes_left > 0) co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  run->finished = Clock::now();
  co_return run->error.empty();
}

// --pipeline 1: rounds of in_flight ops, each a StoreBatch sent whole and awaited whole.
asio::awaitable<bool> run_pipelined(megane::Store store, std::shared_ptr<Run> run, bool is_get) {
  std::mt19937_64 rng(0x5EED);
  std::uniform_int_distribution<std::uint64_t> pick(0, run->options.keys - 1);
  megane::StoreBatch batch(store);
  std::vector<megane::StoreBatch::Slot<std::optional<std::string>>> gets;
  run->started = Clock::now();
  while (run->issued < run->options.ops) {
    const std::uint64_t n = std::min(run->options.in_flight, run->options.ops - run->issued);
    run->issued += n;
    gets.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::string& key = run->keys[pick(rng)];
      if (is_get) gets.push_back(batch.get(key));
      else batch.set(key, run->value);
    }
    const megane::StoreBatchResults results = co_await batch.run();
    if (!results.all_ok()) {
      run->error = "an op in a batch failed";
      co_return false;
    }
    if (is_get) {
      // Every key exists: a GET that found nothing is as wrong as in the other modes.
      for (const auto slot : gets) {
        if (!results[slot].value) {
          run->error = "a GET found no value";
          co_return false;
        }
      }
    }
  }
  run->finished = Clock::now();
  co_return true;
}

asio::awaitable<int> bench(std::shared_ptr<Run> run) {
  const auto ex = co_await asio::this_coro::executor;
  megane::IpcClient client(ex, spdlog::default_logger());
  megane::proto::Hello hello;
  hello.role = megane::proto::Role::control;
  hello.client = "megane_store_bench";
  const megane::HandshakeResult hs = co_await client.connect(run->options.socket, hello);
  if (!hs.ok()) {
    fmt::print(stderr, "megane_store_bench: {}: {}\n", megane::to_string(hs.status), hs.error.message);
    co_return 69;
  }
  const megane::Store store(client, std::chrono::seconds(30));
  const bool is_get = run->options.op == "get";
  if (is_get) {
    // Every key once, sequentially numbered, so each timed GET hits.
    for (std::uint64_t next = 0; next < run->options.keys; ++next) {
      const auto r = co_await store.set(run->keys[next], run->value);
      if (!r.ok()) {
        fmt::print(stderr, "megane_store_bench: populating: {}\n", r.message);
        co_return 1;
      }
    }
  }
  bool ok = false;  // g++ 12: co_await of awaitable<bool> stays out of conditions
  if (run->options.pipeline) ok = co_await run_pipelined(store, run, is_get);
  else if (run->options.batch) ok = co_await run_batches(store, run, is_get);
  else ok = co_await run_lanes(store, run, is_get);
  client.close();
  if (!ok) {
    fmt::print(stderr, "megane_store_bench: {}\n", run->error);
    co_return 1;
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto run = std::make_shared<Run>();
  if (!parse(argc, argv, run->options)) {
    std::fprintf(stderr,
                 "usage: megane_store_bench --socket PATH --op get|set [--ops N] [--in-flight N] [--keys N] "
                 "[--value-bytes N] [--batch 1] [--pipeline 1]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  run->value.assign(run->options.value_bytes, 'x');
  run->keys.reserve(run->options.keys);
  for (std::uint64_t n = 0; n < run->options.keys; ++n) run->keys.push_back(key_of(n));
  asio::io_context io;
  int code = 1;
  asio::co_spawn(io, bench(run), [&](std::exception_ptr e, int c) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "megane_store_bench: %s\n", ex.what());
      }
      return;
    }
    code = c;
  });
  io.run();
  if (code != 0) return code;
  const double seconds = std::chrono::duration<double>(run->finished - run->started).count();
  fmt::print("op={} in_flight={} ops={} seconds={:.3f} ops_per_sec={:.0f}\n", run->options.op, run->options.in_flight,
             run->options.ops, seconds, static_cast<double>(run->options.ops) / seconds);
  return 0;
}
