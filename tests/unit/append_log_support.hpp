// Shared by the append log tests: a temp directory, file helpers, a loop runner, a file-ops
// stand-in that fails on demand, and a sample of store operations.
#pragma once

#include <stdlib.h>

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
#include <boost/asio/post.hpp>

#include "catch.hpp"
#include "scratch_dir.hpp"
#include "store/append_log.hpp"
#include "store/store.hpp"

using namespace megane::daemon;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace append_log_test {


struct TempDir : megane::test::ScratchDir {
  TempDir() : megane::test::ScratchDir("megane-store") {}
};

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

using Dump = std::vector<std::tuple<std::string, std::string, UnixMs>>;
inline Dump dump(const Store& store) {
  Dump out;
  store.visit("", 0, [&](std::string_view k, std::string_view v, UnixMs at) {
    out.emplace_back(std::string(k), std::string(v), at);
    return true;
  });
  return out;
}

template <class Pred>
inline void run_until(boost::asio::io_context& io, Pred done) {
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
  std::error_code fsync(int fd, SyncKind kind) override {
    if (fail_fsync) return std::make_error_code(std::errc::io_error);
    ++fsyncs;
    if (!is_rewrite(fd)) log_synced = log_written.load();
    return PosixFileOps::fsync(fd, kind);
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
inline std::vector<LogRecord> sample_ops(Store& s, UnixMs now) {
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


}  // namespace append_log_test

using namespace append_log_test;
