// The append log: round trips under each fsync policy, group commit, injected disk failures,
// and compaction while appends keep coming (recovery: append_log_recovery_test.cpp). The
// io_context runs in the test thread; the disk thread is real.
#include "append_log_support.hpp"

TEST_CASE("append log: every fsync policy round-trips the effects", "[append_log]") {
  for (const FsyncPolicy policy : {FsyncPolicy::always, FsyncPolicy::everysec, FsyncPolicy::no}) {
    INFO("policy " << static_cast<int>(policy));
    TempDir dir;
    const auto path = (dir.path / "store.log").string();
    FaultyOps ops;
    boost::asio::io_context io;
    Store live;
    {
      AppendLog log(io, path, policy, &ops);
      REQUIRE(log.load(live).ok);
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      std::uint64_t end = log_file_magic.size();
      int done = 0;
      int early = 0;  // completions that fired before their bytes were where the policy says
      for (const auto& r : sample_ops(live, now)) {
        end += encoded_size(r);
        log.append(r, [&, end, policy](std::error_code ec) {
          CHECK_FALSE(ec);
          const auto durable = policy == FsyncPolicy::always ? ops.log_synced.load() : ops.log_written.load();
          if (durable < end) ++early;
          ++done;
        });
      }
      io.run();  // returns once every append completed
      CHECK(done == 8);
      CHECK(early == 0);
      if (policy == FsyncPolicy::no) CHECK(ops.fsyncs == 0);
      if (policy == FsyncPolicy::everysec) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (ops.fsyncs == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        CHECK(ops.fsyncs >= 1);  // the background fsync ran without any further append
      }
      CHECK(log.size_bytes() == end);
      CHECK(fs::file_size(path) == end);
      CHECK_FALSE(log.stop());
      CHECK(ops.log_synced == end);  // stop() fsyncs under every policy
    }
    Store loaded;
    boost::asio::io_context io2;
    AppendLog again(io2, path, policy);
    const auto result = again.load(loaded);
    REQUIRE(result.ok);
    CHECK(result.warning.empty());
    CHECK(result.records == 8);
    CHECK(dump(loaded) == dump(live));
  }
}

TEST_CASE("append log: group commit completes a queued burst with few fsyncs", "[append_log]") {
  TempDir dir;
  FaultyOps ops;
  boost::asio::io_context io;
  Store s;
  AppendLog log(io, (dir.path / "store.log").string(), FsyncPolicy::always, &ops);
  REQUIRE(log.load(s).ok);
  int done = 0;
  for (int i = 0; i < 2000; ++i) {
    log.append(*s.set("k" + std::to_string(i), "v", 0).record, [&](std::error_code ec) {
      CHECK_FALSE(ec);
      ++done;
    });
  }
  io.run();
  CHECK(done == 2000);
  CHECK(ops.fsyncs >= 1);
  CHECK(ops.fsyncs < 2000);
}

TEST_CASE("append log: after_appended completes behind the appends before it", "[append_log]") {
  TempDir dir;
  FaultyOps ops;
  boost::asio::io_context io;
  Store s;
  AppendLog log(io, (dir.path / "store.log").string(), FsyncPolicy::always, &ops);
  REQUIRE(log.load(s).ok);
  std::vector<std::string> order;

  SECTION("nothing outstanding: at once (posted, not inline)") {
    log.after_appended([&](std::error_code ec) {
      CHECK_FALSE(ec);
      order.push_back("read");
    });
    CHECK(order.empty());
    io.run();
    CHECK(order == std::vector<std::string>{"read"});
  }
  SECTION("behind queued appends: only once they are durable") {
    const std::uint64_t seq = log.next_seq();
    CHECK(log.append(*s.set("a", "1", 0).record, [&](std::error_code ec) {
      CHECK_FALSE(ec);
      order.push_back("write");
    }) == seq);
    log.after_appended([&](std::error_code ec) {
      CHECK_FALSE(ec);
      order.push_back("read");
    });
    io.run();
    CHECK(order == std::vector<std::string>{"write", "read"});
    CHECK(ops.fsyncs >= 1);
  }
}

TEST_CASE("append log: a write or fsync failure fails the log until restart", "[append_log]") {
  struct Case {
    const char* name;
    FsyncPolicy policy;
    bool fail_fsync;
  };
  for (const Case c : {Case{"write", FsyncPolicy::no, false}, Case{"fsync", FsyncPolicy::always, true}}) {
    INFO(c.name << " failure");
    TempDir dir;
    const auto path = (dir.path / "store.log").string();
    FaultyOps ops;
    boost::asio::io_context io;
    Store s;
    AppendLog log(io, path, c.policy, &ops);
    REQUIRE(log.load(s).ok);
    std::vector<std::error_code> results;
    const auto record = [&](std::error_code ec) { results.push_back(ec); };
    log.append(*s.set("before", "ok", 0).record, record);
    io.run();
    REQUIRE(results.size() == 1);
    CHECK_FALSE(results[0]);

    (c.fail_fsync ? ops.fail_fsync : ops.fail_write) = true;
    log.append(*s.set("lost", "x", 0).record, record);
    io.restart();
    io.run();
    REQUIRE(results.size() == 2);
    CHECK(results[1] == std::errc::io_error);
    CHECK(log.failed() == std::errc::io_error);

    // The disk is fine again, but the log stays failed: no silent gap in the record sequence.
    ops.fail_write = ops.fail_fsync = false;
    log.append(*s.set("after", "x", 0).record, record);
    io.restart();
    io.run();
    REQUIRE(results.size() == 3);
    CHECK(results[2] == std::errc::io_error);
    bool rewrite_called = false;
    CHECK(log.rewrite(s, [&](std::error_code) { rewrite_called = true; }) == RewriteStart::failed);
    CHECK(log.stop() == std::errc::io_error);
    CHECK_FALSE(rewrite_called);

    Store reloaded;
    REQUIRE(load_log(path, reloaded, 0).ok);
    CHECK(reloaded.get("before", 0) == "ok");
    CHECK_FALSE(reloaded.get("after", 0));
  }
}

TEST_CASE("append log: a failed background fsync under everysec fails the log", "[append_log]") {
  TempDir dir;
  FaultyOps ops;
  boost::asio::io_context io;
  Store s;
  AppendLog log(io, (dir.path / "store.log").string(), FsyncPolicy::everysec, &ops);
  REQUIRE(log.load(s).ok);
  ops.fail_fsync = true;
  std::error_code first{std::make_error_code(std::errc::interrupted)};
  log.append(*s.set("k", "v", 0).record, [&](std::error_code ec) { first = ec; });
  io.run();
  CHECK_FALSE(first);  // everysec acknowledges once the write reached the kernel
  run_until(io, [&] { return static_cast<bool>(log.failed()); });
  CHECK(log.failed() == std::errc::io_error);
  std::error_code second;
  log.append(*s.set("k", "w", 0).record, [&](std::error_code ec) { second = ec; });
  io.restart();
  io.run();
  CHECK(second == std::errc::io_error);
}

TEST_CASE("append log: stop() completes outstanding appends inline", "[append_log]") {
  TempDir dir;
  const auto path = (dir.path / "store.log").string();
  boost::asio::io_context io;
  Store s;
  AppendLog log(io, path, FsyncPolicy::always);
  std::error_code early;
  log.append(LogRecord::make_del("x"), [&](std::error_code ec) { early = ec; });
  io.run();
  CHECK(early == std::errc::operation_not_permitted);  // before load()
  REQUIRE(log.load(s).ok);
  int ok = 0;
  for (int i = 0; i < 100; ++i) {
    log.append(*s.set("k" + std::to_string(i), "v", 0).record, [&](std::error_code ec) { ok += !ec; });
  }
  CHECK_FALSE(log.stop());  // the io_context never ran
  CHECK(ok == 100);
  io.restart();
  io.run();  // stale reports are ignored
  CHECK(ok == 100);
  Store reloaded;
  CHECK(load_log(path, reloaded, 0).records == 100);
}

TEST_CASE("append log: rewrite while appending keeps every write and shrinks the log",
          "[append_log]") {
  TempDir dir;
  const auto path = (dir.path / "store.log").string();
  FaultyOps ops;
  boost::asio::io_context io;
  Store s;
  AppendLog log(io, path, FsyncPolicy::always, &ops);
  log.set_clock([] { return UnixMs{1'000}; });
  log.set_rewrite_chunk_keys(37);
  REQUIRE(log.load(s).ok);
  int failures = 0;
  const auto append = [&](const auto& result) {
    if (result.record) log.append(*result.record, [&](std::error_code ec) { failures += static_cast<bool>(ec); });
  };
  // Many overwrites of 2000 keys, some with expiries in the future, some already expired.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 2000; ++i) append(s.set("k" + std::to_string(i), std::to_string(round), 1'000));
  }
  append(s.set("ttl", "t", 1'000, 1'000'000));
  append(s.set("gone", "g", 1'000, 0));
  append(s.expire("gone", 1, 999));  // expired by the rewrite's clock: left out of the new file
  io.run();
  const auto before = log.size_bytes();
  REQUIRE(fs::file_size(path) == before);

  bool done = false;
  std::error_code rewrite_ec = std::make_error_code(std::errc::interrupted);
  REQUIRE(log.rewrite(s, [&](std::error_code ec) {
    rewrite_ec = ec;
    done = true;
  }) == RewriteStart::started);
  CHECK(log.rewrite(s, nullptr) == RewriteStart::busy);

  // Every loop turn during the rewrite: writes ahead of and behind the scan, deletes, expiries.
  std::mt19937 rng(3);
  int turns = 0;
  std::function<void()> writer = [&] {
    if (done || turns == 150) return;
    ++turns;
    for (int j = 0; j < 10; ++j) {
      const std::string key = "k" + std::to_string(rng() % 2500);
      switch (rng() % 4) {
        case 0: append(s.set(key, "during" + std::to_string(turns), 1'000)); break;
        case 1: append(s.del(key, 1'000)); break;
        case 2: append(s.increment("counter", 1, 1'000)); break;
        case 3: append(s.expire(key, 5'000'000, 1'000)); break;
      }
    }
    boost::asio::post(io, writer);
  };
  boost::asio::post(io, writer);
  io.restart();
  io.run();
  REQUIRE(done);
  CHECK_FALSE(rewrite_ec);
  CHECK(turns > 5);  // the scan took many loop turns, interleaved with the writer
  CHECK(failures == 0);
  CHECK_FALSE(fs::exists(path + ".rewrite"));
  CHECK(log.base_bytes() < before / 5);
  CHECK(log.base_bytes() <= log.size_bytes());

  // Appends continue into the new file.
  append(s.set("after", "rewrite", 1'000));
  io.restart();
  io.run();
  CHECK(fs::file_size(path) == log.size_bytes());
  CHECK(log.size_bytes() < before / 5);
  CHECK_FALSE(log.stop());

  s.expire_some(1'000, std::numeric_limits<std::size_t>::max());  // "gone"
  Store reloaded;
  const auto result = load_log(path, reloaded, 1'000);
  REQUIRE(result.ok);
  CHECK(result.warning.empty());
  CHECK(dump(reloaded) == dump(s));
  CHECK(reloaded.get("after", 1'000) == "rewrite");
}

TEST_CASE("append log: a failed rewrite leaves the old log in charge", "[append_log]") {
  TempDir dir;
  const auto path = (dir.path / "store.log").string();
  FaultyOps ops;
  boost::asio::io_context io;
  Store s;
  AppendLog log(io, path, FsyncPolicy::always, &ops);
  log.set_rewrite_chunk_keys(10);
  REQUIRE(log.load(s).ok);
  for (int i = 0; i < 100; ++i) log.append(*s.set("k" + std::to_string(i), "v", 0).record, nullptr);
  io.run();
  ops.fail_rewrite_write = true;
  std::error_code rewrite_ec;
  REQUIRE(log.rewrite(s, [&](std::error_code ec) { rewrite_ec = ec; }) == RewriteStart::started);
  log.append(*s.set("during", "x", 0).record, nullptr);
  io.restart();
  io.run();
  CHECK(rewrite_ec == std::errc::io_error);
  CHECK_FALSE(log.failed());
  CHECK_FALSE(fs::exists(path + ".rewrite"));
  std::error_code later = std::make_error_code(std::errc::interrupted);
  log.append(*s.set("later", "y", 0).record, [&](std::error_code ec) { later = ec; });
  io.restart();
  io.run();
  CHECK_FALSE(later);
  CHECK_FALSE(log.stop());
  Store reloaded;
  REQUIRE(load_log(path, reloaded, 0).ok);
  CHECK(dump(reloaded) == dump(s));
}

TEST_CASE("append log: the automatic rewrite trigger", "[append_log]") {
  const RewritePolicy policy;  // > 64 MiB and > 2x the size after the last rewrite
  CHECK_FALSE(rewrite_due(10u << 20, 0, policy));
  CHECK(rewrite_due(65u << 20, 0, policy));
  CHECK(rewrite_due(65u << 20, 32u << 20, policy));
  CHECK_FALSE(rewrite_due(65u << 20, 40u << 20, policy));
  CHECK(rewrite_due(201u << 20, 100u << 20, policy));
  CHECK_FALSE(rewrite_due(199u << 20, 100u << 20, RewritePolicy{1u << 20, 100}));
}
