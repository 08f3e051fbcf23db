// megane_fetch_bench: the cluster bot behind bench/fetch_bench.sh. Every cluster caches its
// shards' guilds from fakecord and answers {"op":"IDS"} with its guild ids and the users it
// holds. Cluster 0, once all clusters are ready, fetches from cluster 1 through meganed and
// times each round trip (cluster 0 -> meganed -> cluster 1 -> meganed -> cluster 0), one in
// flight: fetch_guild(id, include_members = true) and fetch_user(id) for users only cluster 1
// holds (asked of every cluster; cluster 0 misses, cluster 1's hit answers). One JSON line per
// (repetition, kind) goes to --out (written to FILE.part, then renamed); then it exits with
// megane::do_not_restart so meganed leaves it down.
//
//   megane_fetch_bench --out FILE [--requests N] [--reps R] [--warmup W]
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <megane/sdk/cluster_worker.hpp>
#include <megane/sdk/exit_codes.hpp>
#include <megane/sdk/run.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  std::string out;
  std::size_t requests = 2'000;
  std::size_t reps = 5;
  std::size_t warmup = 200;
};

std::optional<std::size_t> parse_count(std::string_view s) {
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string_view value = argv[i + 1];
    if (flag == "--out") {
      o.out = value;
      continue;
    }
    const auto n = parse_count(value);
    if (!n) return std::nullopt;
    if (flag == "--requests") o.requests = *n;
    else if (flag == "--reps") o.reps = *n;
    else if (flag == "--warmup") o.warmup = *n;
    else return std::nullopt;
  }
  if (o.out.empty() || o.requests == 0) return std::nullopt;
  return o;
}

double percentile(std::vector<double>& v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

class FetchBench final : public megane::ClusterWorker {
 public:
  FetchBench(megane::ClusterContext context, Options options)
      : ClusterWorker(std::move(context)), options_(std::move(options)) {}

  boost::asio::awaitable<void> launch() override {
    co_await connect_gateway();
    report_ready();
    if (cluster_id() != 0) co_return;
    boost::asio::steady_timer wait(io());
    while (!all_ready_) {
      wait.expires_after(50ms);
      co_await wait.async_wait(boost::asio::use_awaitable);
    }
    // GUILD_CREATEs follow READY: give both clusters' caches time to fill.
    wait.expires_after(3s);
    co_await wait.async_wait(boost::asio::use_awaitable);
    std::string lines;
    try {
      lines = co_await measure();
    } catch (const std::exception& e) {
      lines = fmt::format(R"({{"error":"{}"}})", e.what()) + "\n";
    }
    write(lines);
    request_stop(megane::do_not_restart);
  }

  void all_clusters_ready() override { all_ready_ = true; }

  boost::asio::awaitable<megane::CommandResult> handle_command(const megane::CommandRequest&) override {
    std::string guilds, users;
    cache().for_each_guild([&](const megane::CachedGuild& g) {
      if (g.unavailable) return;  // its GUILD_CREATE is not in yet
      guilds += fmt::format("{}{}", guilds.empty() ? "" : ",", g.id);
      for (const megane::CachedMember& m : g.members) users += fmt::format("{}{}", users.empty() ? "" : ",", m.user_id);
    });
    co_return megane::CommandResult::ok(fmt::format(R"({{"guilds":[{}],"users":[{}]}})", guilds, users));
  }

 private:
  boost::asio::awaitable<std::string> measure() {
    const megane::ClusterCommandReply ids = co_await send_cluster_command(megane::Target::cluster(1), R"({"op":"IDS"})");
    if (!ids.ok()) throw std::runtime_error("cluster 1 did not list its ids: " + ids.message);
    std::vector<std::uint64_t> guilds, users;
    for (const auto v : ids.results[0].data.json()["guilds"].get_array()) guilds.push_back(v.get_uint64());
    for (const auto v : ids.results[0].data.json()["users"].get_array()) {
      const std::uint64_t u = v.get_uint64();
      if (!cache().user(u)) users.push_back(u);  // only cluster 1 has it
    }
    if (guilds.empty() || users.empty()) throw std::runtime_error("cluster 1 has no guilds or no users of its own");
    std::string out;
    for (std::size_t rep = 0; rep < options_.reps; ++rep) {
      for (const bool guild : {true, false}) {
        std::vector<double> rtt_us;
        rtt_us.reserve(options_.requests);
        std::size_t errors = 0, bytes = 0;
        for (std::size_t i = 0; i < options_.warmup + options_.requests; ++i) {
          const auto start = Clock::now();
          megane::FetchReply r;
          if (guild) r = co_await fetch_guild(guilds[i % guilds.size()], true);
          else r = co_await fetch_user(users[i % users.size()]);
          const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
          if (!r.ok() || r.cluster_id != 1) ++errors;
          if (i < options_.warmup) continue;
          rtt_us.push_back(us);
          bytes += r.data.text().size();
        }
        out += fmt::format(R"({{"kind":"{}","rep":{},"requests":{},"p50_us":{:.1f},"p99_us":{:.1f},"bytes":{},"errors":{}}})",
                           guild ? "guild_members" : "user", rep, rtt_us.size(), percentile(rtt_us, 0.50),
                           percentile(rtt_us, 0.99), bytes / rtt_us.size(), errors) + "\n";
      }
    }
    co_return out;
  }

  void write(const std::string& lines) {
    const std::string part = options_.out + ".part";
    if (std::FILE* f = std::fopen(part.c_str(), "w")) {
      std::fputs(lines.c_str(), f);
      std::fclose(f);
      std::rename(part.c_str(), options_.out.c_str());
    }
  }

  Options options_;
  bool all_ready_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(argc, argv);
  if (!options) {
    std::fprintf(stderr, "usage: megane_fetch_bench --out FILE [--requests N] [--reps R] [--warmup W]\n");
    return megane::do_not_restart;
  }
  return megane::run<FetchBench>(argc, argv, *options);
}
