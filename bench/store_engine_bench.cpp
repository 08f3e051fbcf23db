// Throughput of the store engine alone (no IPC, no log): GET/SET/INCR and friends on 100k keys
// accessed in random order, median of 5 runs. Build Release for meaningful numbers.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "store/store.hpp"

using megane::daemon::Store;
using megane::daemon::UnixMs;

namespace {

constexpr std::size_t key_count = 100'000;
constexpr std::size_t ops_per_run = 1'000'000;
constexpr int runs = 5;
constexpr UnixMs now = 1'700'000'000'000;

struct Fixture {
  std::vector<std::string> keys;
  std::vector<std::uint32_t> order;  // random key indexes
  std::vector<std::uint32_t> hot;    // random indexes among the first 1000 keys (cache-resident)
};

Fixture make_fixture() {
  Fixture f;
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < key_count; ++i) f.keys.push_back(fmt::format("user:{}:profile", rng()));
  for (std::size_t i = 0; i < ops_per_run; ++i) {
    f.order.push_back(static_cast<std::uint32_t>(rng() % key_count));
    f.hot.push_back(static_cast<std::uint32_t>(rng() % 1000));
  }
  return f;
}

void fill(Store& s, const Fixture& f, const char* value) {
  for (const auto& k : f.keys) s.set(k, value, now);
}

// Runs `body` (which performs `ops` operations) after `setup`, five times; returns the median
// nanoseconds per operation.
double median_ns(const std::function<void()>& setup, const std::function<std::size_t()>& body) {
  std::vector<double> ns;
  for (int r = 0; r < runs; ++r) {
    setup();
    const auto start = std::chrono::steady_clock::now();
    const std::size_t ops = body();
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    ns.push_back(took.count() / static_cast<double>(ops));
  }
  std::sort(ns.begin(), ns.end());
  return ns[runs / 2];
}

}  // namespace

int main() {
  const Fixture f = make_fixture();
  Store s;
  std::size_t sink = 0;
  const auto keep_filled = [&] {
    if (s.size() != key_count) {
      s.clear();
      fill(s, f, "0123456789abcdef");
    }
  };

  struct Row {
    const char* name;
    double ns;
  };
  std::vector<Row> rows;
  rows.push_back({"GET (hit)", median_ns(keep_filled, [&] {
                    for (auto i : f.order) sink += s.get(f.keys[i], now)->size();
                    return f.order.size();
                  })});
  rows.push_back({"GET (hit, hot 1k keys)", median_ns(keep_filled, [&] {
                    for (auto i : f.hot) sink += s.get(f.keys[i], now)->size();
                    return f.hot.size();
                  })});
  rows.push_back({"GET (miss)", median_ns(keep_filled, [&] {
                    for (auto i : f.order) sink += s.get(f.keys[i] + "x", now).has_value();
                    return f.order.size();
                  })});
  rows.push_back({"SET (overwrite)", median_ns(keep_filled, [&] {
                    for (auto i : f.order) sink += s.set(f.keys[i], "fedcba9876543210", now).applied;
                    return f.order.size();
                  })});
  rows.push_back({"SET (overwrite, hot 1k)", median_ns(keep_filled, [&] {
                    for (auto i : f.hot) sink += s.set(f.keys[i], "fedcba9876543210", now).applied;
                    return f.hot.size();
                  })});
  rows.push_back({"SET (overwrite, TTL)", median_ns(keep_filled, [&] {
                    for (auto i : f.order) sink += s.set(f.keys[i], "fedcba9876543210", now, 60'000).applied;
                    return f.order.size();
                  })});
  rows.push_back({"SET (new key)", median_ns([&] { s.clear(); }, [&] {
                    for (const auto& k : f.keys) sink += s.set(k, "0123456789abcdef", now).applied;
                    return f.keys.size();
                  })});
  rows.push_back({"DEL", median_ns(keep_filled, [&] {
                    for (const auto& k : f.keys) sink += s.del(k, now).applied;
                    return f.keys.size();
                  })});
  rows.push_back({"INCR", median_ns([&] {
                    s.clear();
                    fill(s, f, "0");
                  }, [&] {
                    for (auto i : f.order) sink += static_cast<std::size_t>(s.increment(f.keys[i], 1, now).value);
                    return f.order.size();
                  })});
  rows.push_back({"KEYS page of 100", median_ns(keep_filled, [&] {
                    std::string cursor;
                    std::size_t pages = 0;
                    do {
                      auto page = s.keys("user:", cursor, 100, now);
                      sink += page.keys.size();
                      cursor = std::move(page.next_cursor);
                      ++pages;
                    } while (!cursor.empty());
                    return pages;
                  })});

  std::printf("store engine, %zu keys (~33-byte keys, 16-byte values), uniform random access\n"
              "unless marked hot, median of %d runs\n\n", key_count, runs);
  std::printf("| %-24s | %12s | %10s |\n", "op", "ops/s", "ns/op");
  std::printf("|%s|%s|%s|\n", std::string(26, '-').c_str(), std::string(14, '-').c_str(),
              std::string(12, '-').c_str());
  for (const auto& row : rows) {
    std::printf("| %-24s | %12.0f | %10.1f |\n", row.name, 1e9 / row.ns, row.ns);
  }
  return sink == 42 ? 1 : 0;  // keeps the work observable
}
