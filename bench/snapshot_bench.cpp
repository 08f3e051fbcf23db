// Size of a cluster's cache snapshot and the time to write it (at a graceful stop, fsync
// included) and to read it back (before the shards RESUME). The cache is filled from
// fakecord's generated population (the same GUILD_CREATEs fakecord sends), all in one shard.
//
//   megane_snapshot_bench [--guilds 1250] [--members 100] [--channels 40] [--roles 25]
//                         [--reps 5] [--dir DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include <megane/sdk/cache.hpp>

#include "cache/snapshot.hpp"
#include "fakecord/guild_json.hpp"
#include "fakecord/population.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return fmt::format("{} {} {}", one, five, fifteen);
}

}  // namespace

int main(int argc, char** argv) {
  fakecord::PopulationSpec spec{.guilds = 1250, .members_per_guild = 100, .channels_per_guild = 40,
                                .roles_per_guild = 25, .seed = 1};
  int reps = 5;
  fs::path dir = fs::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const auto value = static_cast<std::uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    if (flag == "--guilds") spec.guilds = value;
    else if (flag == "--members") spec.members_per_guild = value;
    else if (flag == "--channels") spec.channels_per_guild = value;
    else if (flag == "--roles") spec.roles_per_guild = value;
    else if (flag == "--reps") reps = std::max(1, static_cast<int>(value));
    else if (flag == "--dir") dir = argv[i + 1];
  }

  const fakecord::Population pop(spec);
  megane::Cache cache;
  simdjson::dom::parser parser;
  const fakecord::UserInfo self = pop.bot_user();
  const std::string ready = fmt::format(R"({{"user":{{"id":"{}","username":"{}","discriminator":"0","bot":true}},"guilds":[]}})",
                                        self.id, self.username);
  cache.apply("READY", parser.parse(ready).value());
  std::string json;
  for (std::size_t g = 0; g < pop.guild_count(); ++g) {
    json.clear();
    fakecord::append_guild_create(json, pop, g, 250);
    cache.apply("GUILD_CREATE", parser.parse(json).value());
  }
  const megane::CacheCounts counts = cache.counts();

  megane::cache::SnapshotHeader header;
  header.total_shards = 1;
  header.shards.push_back({0, megane::cache::session_fingerprint("bench"), 1});
  const fs::path file = dir / fmt::format("megane-snapshot-bench-{}.jsonl", ::getpid());
  std::vector<double> writes, loads;
  std::uint64_t bytes = 0;
  bool same = true;
  for (int r = 0; r < reps; ++r) {
    auto start = Clock::now();
    const auto w = megane::cache::write_snapshot(cache, header, file, std::uint64_t{1} << 40, Clock::now() + std::chrono::minutes(5));
    writes.push_back(ms_since(start));
    if (!w.ok) {
      std::fprintf(stderr, "write failed: %s\n", w.error.c_str());
      return 1;
    }
    bytes = w.bytes;
    megane::Cache restored;
    start = Clock::now();
    const auto l = megane::cache::load_snapshot(restored, file, 1, [](const auto&) { return true; }, std::uint64_t{1} << 40);
    loads.push_back(ms_since(start));
    const megane::CacheCounts back = restored.counts();
    same = same && l.outcome == megane::cache::SnapshotLoaded::Outcome::loaded && back.guilds == counts.guilds &&
           back.members == counts.members && back.users == counts.users && back.channels == counts.channels &&
           back.roles == counts.roles;
  }
  fs::remove(file);

  fmt::print("cache snapshot: {} guilds x {} members x {} channels x {} roles ({} users), {} reps, load average {}\n",
             counts.guilds, spec.members_per_guild, spec.channels_per_guild, spec.roles_per_guild, counts.users, reps,
             load_average());
  fmt::print("| snapshot size | per guild | write + fsync (median) | read back (median) | same counts |\n");
  fmt::print("|---|---|---|---|---|\n");
  fmt::print("| {:.1f} MB | {:.1f} KB | {:.0f} ms | {:.0f} ms | {} |\n", static_cast<double>(bytes) / 1e6,
             static_cast<double>(bytes) / 1e3 / static_cast<double>(std::max<std::size_t>(counts.guilds, 1)),
             median(writes), median(loads), same ? "yes" : "NO");
  return same ? 0 : 1;
}
