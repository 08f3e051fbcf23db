// The append log: round trips under each fsync policy, recovery from torn tails and corruption,
// injected disk failures, and compaction while appends keep coming. The io_context runs in the
// test thread; the disk thread is real.
#include "store/append_log.hpp"

#include <stdlib.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "catch.hpp"
#include "store/store.hpp"

using namespace megane::daemon;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "megane-store-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

using Dump = std::vector<std::tuple<std::string, std::string, UnixMs>>;
Dump dump(const Store& store) {
  Dump out;
  store.visit("", 0, [&](std::string_view k, std::string_view v, UnixMs at) {
    out.emplace_back(std::string(k), std::string(v), at);
    return true;
  });
  return out;
}

template <class Pred>
void run_until(boost::asio::io_context& io, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();  // it stops whenever it runs out of work
    io.run_one_for(20ms);
  }
}

// Fails writes or fsyncs on demand and counts what reached the main log.
class FaultyOps : public PosixFileOps {
 public:
  std::atomic<bool> fail_write{false};
  std::atomic<bool> fail_fsync{false};
  std::atomic<bool> fail_rewrite_write{false};
  std::atomic<std::uint64_t> log_written{0};  // bytes written to the main log (not the rewrite)
  std::atomic<std::uint64_t> log_synced{0};   // log_written at its last fsync
  std::atomic<int> fsyncs{0};

  int open(const std::string& path, int flags, std::error_code& ec) override {
    const int fd = PosixFileOps::open(path, flags, ec);
    std::lock_guard lock(mutex_);
    if (path.ends_with(".rewrite")) rewrite_fds_.insert(fd);
    return fd;
  }
  std::error_code write(int fd, std::string_view data) override {
    const bool rewrite = is_rewrite(fd);
    if (fail_write || (rewrite && fail_rewrite_write)) return std::make_error_code(std::errc::io_error);
    auto ec = PosixFileOps::write(fd, data);
    if (!rewrite && !ec) log_written += data.size();
    return ec;
  }
  std::error_code fsync(int fd) override {
    if (fail_fsync) return std::make_error_code(std::errc::io_error);
    ++fsyncs;
    if (!is_rewrite(fd)) log_synced = log_written.load();
    return PosixFileOps::fsync(fd);
  }
  void close(int fd) override {
    {
      std::lock_guard lock(mutex_);
      rewrite_fds_.erase(fd);
    }
    PosixFileOps::close(fd);
  }

 private:
  bool is_rewrite(int fd) {
    std::lock_guard lock(mutex_);
    return rewrite_fds_.count(fd) != 0;
  }
  std::mutex mutex_;
  std::set<int> rewrite_fds_;
};

// A few ops of every kind; returns their records in order.
std::vector<LogRecord> sample_ops(Store& s, UnixMs now) {
  std::vector<LogRecord> out;
  const auto keep = [&](const std::optional<LogRecord>& r) {
    if (r) out.push_back(*r);
  };
  keep(s.set("alpha", "1", now).record);
  keep(s.set("beta", std::string("bin\0ary", 7), now, 60'000).record);
  keep(s.increment("counter", 41, now).record);
  keep(s.increment("counter", 1, now).record);
  keep(s.del("alpha", now).record);
  keep(s.expire("counter", 120'000, now).record);
  keep(s.compare_and_set("gamma", std::nullopt, "g", 0, now).record);
  keep(s.set("", "empty key", now).record);
  return out;
}

}  // namespace

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

TEST_CASE("append log: a missing file is an empty store and keys expired meanwhile are dropped",
          "[append_log]") {
  TempDir dir;
  const auto path = (dir.path / "store.log").string();
  write_file(path + ".rewrite", "stale");
  UnixMs clock = 1'000'000;
  boost::asio::io_context io;
  Store s;
  {
    AppendLog log(io, path, FsyncPolicy::no);
    log.set_clock([&] { return clock; });
    const auto r = log.load(s);
    CHECK(r.ok);
    CHECK(r.size == 0);
    CHECK_FALSE(fs::exists(path + ".rewrite"));
    log.append(*s.set("short", "x", clock, 1000).record, nullptr);
    log.append(*s.set("long", "x", clock, 100'000).record, nullptr);
    log.append(*s.set("forever", "x", clock).record, nullptr);
    io.run();
  }
  clock += 50'000;  // the daemon was down for 50 s
  Store after;
  AppendLog log(io, path, FsyncPolicy::no);
  log.set_clock([&] { return clock; });
  const auto r = log.load(after);
  REQUIRE(r.ok);
  CHECK(r.records == 3);
  CHECK(r.expired == 1);
  CHECK(after.size() == 2);
  CHECK_FALSE(after.get("short", clock));
  CHECK(after.get("long", clock) == "x");

  // A log that cannot be opened for appending stops the start-up, not the first write.
  Store nowhere;
  AppendLog bad(io, (dir.path / "no-such-dir" / "store.log").string(), FsyncPolicy::no);
  const auto opened = bad.load(nowhere);
  CHECK_FALSE(opened.ok);
  CHECK(opened.error.find("cannot open for appending") != std::string::npos);
}

TEST_CASE("append log: truncation at every byte offset loads the valid prefix", "[append_log]") {
  TempDir dir;
  const auto path = (dir.path / "store.log").string();
  Store source;
  const auto records = sample_ops(source, 1'000);
  std::string full(log_file_magic);
  std::vector<std::size_t> ends;  // where each record ends
  for (const auto& r : records) {
    REQUIRE(encode_record(r, full));
    ends.push_back(full.size());
  }
  for (std::size_t n = 0; n <= full.size(); ++n) {
    INFO("truncated to " << n << " bytes");
    write_file(path, full.substr(0, n));
    Store s;
    const auto result = load_log(path, s, 0);
    REQUIRE(result.ok);
    const auto complete = static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), n) - ends.begin());
    const std::size_t valid = complete == 0 ? (n < log_file_magic.size() ? 0 : log_file_magic.size())
                                            : ends[complete - 1];
    CHECK(result.records == complete);
    CHECK(result.size == valid);
    CHECK(fs::file_size(path) == valid);
    CHECK(result.warning.empty() == (n == valid));
    if (n != valid) {
      CHECK(result.warning.find(path) != std::string::npos);
      CHECK(result.warning.find("offset " + std::to_string(valid)) != std::string::npos);
    }
    Store expected;
    for (std::size_t i = 0; i < complete; ++i) expected.apply(records[i]);
    CHECK(dump(s) == dump(expected));
  }

  SECTION("appending after the repair and reloading keeps both") {
    write_file(path, full.substr(0, ends[2] + 5));
    boost::asio::io_context io;
    Store s;
    {
      AppendLog log(io, path, FsyncPolicy::always);
      log.set_clock([] { return UnixMs{0}; });
      REQUIRE_FALSE(log.load(s).warning.empty());
      log.append(*s.set("after", "repair", 1'000).record, nullptr);
      io.run();
    }
    Store again;
    const auto result = load_log(path, again, 0);
    REQUIRE(result.ok);
    CHECK(result.warning.empty());
    CHECK(result.records == 4);
    CHECK(dump(again) == dump(s));
  }
}

namespace {

std::string twenty_records(std::vector<std::size_t>& starts) {
  std::string full(log_file_magic);
  for (int i = 0; i < 20; ++i) {
    starts.push_back(full.size());
    encode_record(LogRecord::make_set("key" + std::to_string(i), std::string(40, 'v'), 0), full);
  }
  return full;
}

}  // namespace

TEST_CASE("append log: corruption in the middle is an error naming the offset", "[append_log]") {
  TempDir dir;
  const auto path = (dir.path / "store.log").string();
  std::vector<std::size_t> starts;
  const std::string full = twenty_records(starts);
  // Every byte of the first records, one in the middle and the two before the last.
  for (const std::size_t rec : {0, 1, 9, 17, 18}) {
    for (std::size_t at = starts[rec]; at < starts[rec + 1]; ++at) {
      INFO("record " << rec << ", flipped byte " << at);
      std::string bad = full;
      bad[at] = static_cast<char>(bad[at] ^ 0x5a);
      write_file(path, bad);
      Store s;
      const auto result = load_log(path, s, 0);
      CHECK(result.bad_offset == starts[rec]);
      if (at < starts[rec] + 4 && !result.ok) continue;
      if (at < starts[rec] + 4) {
        // A damaged length that points past the end is indistinguishable from a torn write.
        CHECK_FALSE(result.warning.empty());
        continue;
      }
      REQUIRE_FALSE(result.ok);
      CHECK(result.error.find(path) != std::string::npos);
      CHECK(result.error.find("offset " + std::to_string(starts[rec])) != std::string::npos);
      CHECK(s.size() == 0);
      CHECK(read_file(path) == bad);  // never "repaired" behind the operator's back
    }
  }
}

TEST_CASE("append log: zero-filled tails and foreign files", "[append_log]") {
  TempDir dir;
  const auto path = (dir.path / "store.log").string();
  std::vector<std::size_t> starts;
  const std::string full = twenty_records(starts);
  SECTION("a zero-filled tail is a torn write") {
    write_file(path, full + std::string(100, '\0'));
    Store s;
    const auto result = load_log(path, s, 0);
    REQUIRE(result.ok);
    CHECK(result.records == 20);
    CHECK(fs::file_size(path) == full.size());
  }
  SECTION("a foreign file or another format version is refused") {
    write_file(path, "hello world, not a log");
    Store s;
    CHECK_FALSE(load_log(path, s, 0).ok);
    std::string v2 = full;
    v2[7] = 2;
    write_file(path, v2);
    const auto result = load_log(path, s, 0);
    CHECK_FALSE(result.ok);
    CHECK(result.error.find("version 2") != std::string::npos);
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
