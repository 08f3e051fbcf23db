// The append log at start: a missing file, torn tails at every offset, corruption in the
// middle, zero-filled tails and foreign files.
#include "append_log_support.hpp"

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

