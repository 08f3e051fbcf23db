// Memory and CPU of the SDK cache: one shard of the SDK's real gateway client (zlib-stream
// inflate, simdjson DOM) feeding a megane::Cache from fakecord's GUILD_CREATEs, wired as
// ClusterWorker wires it (the cache reads each dispatch's DOM before the bot's handlers).
// Measured from READY to the last GUILD_CREATE: CPU seconds of this process (getrusage, user +
// system) and the growth of its RSS, divided per guild. With --cache off the same run only
// parses, which shows what the cache itself costs.
//
//   megane_cache_bench --gateway ws://127.0.0.1:PORT --token-file F --guilds N [--cache on|off]
//                      [--members all|own|none]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <megane/sdk/cache.hpp>

#include "gateway/gateway_impl.hpp"
#include "gateway_bench_support.hpp"

namespace {

// Resident set size in bytes, from /proc/self/statm (pages).
std::uint64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

int main(int argc, char** argv) {
  std::string gateway_url, token_file, cache_flag = "on", members_flag = "all";
  std::uint64_t guilds = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--gateway") gateway_url = argv[i + 1];
    else if (flag == "--token-file") token_file = argv[i + 1];
    else if (flag == "--guilds") guilds = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--cache") cache_flag = argv[i + 1];
    else if (flag == "--members") members_flag = argv[i + 1];
  }
  if (gateway_url.empty() || token_file.empty() || guilds == 0) {
    std::fprintf(stderr, "usage: %s --gateway URL --token-file F --guilds N [--cache on|off] [--members all|own|none]\n", argv[0]);
    return 2;
  }
  megane::CacheOptions options;
  options.enabled = cache_flag == "on";
  options.members = members_flag == "own" ? megane::MemberCache::own
                    : members_flag == "none" ? megane::MemberCache::none
                                             : megane::MemberCache::all;

  boost::asio::io_context io(1);
  auto logger = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_level(spdlog::level::warn);
  megane::Gateway gateway(std::make_unique<megane::Gateway::Impl>(io.get_executor(), logger, [&](int) { io.stop(); }));
  megane::Cache cache(options);
  gateway.impl().before_handlers = [&](const megane::Dispatch& d) { cache.apply(d); };

  std::uint64_t seen = 0, json_bytes = 0;
  double cpu_ready = 0, cpu_done = 0;
  std::uint64_t rss_ready = 0, rss_done = 0;
  auto wall_ready = std::chrono::steady_clock::now(), wall_done = wall_ready;
  gateway.on("READY", [&](const megane::Dispatch&) {
    cpu_ready = megane::bench::cpu_seconds();
    rss_ready = rss_bytes();
    wall_ready = std::chrono::steady_clock::now();
  });
  auto guild_seen = [&] {
    if (++seen == guilds) {
      cpu_done = megane::bench::cpu_seconds();
      rss_done = rss_bytes();
      wall_done = std::chrono::steady_clock::now();
      io.stop();
    }
  };
  // With the cache off: the gateway alone (inflate + DOM parse).
  gateway.on("GUILD_CREATE", [&](const megane::Dispatch& d) {
    // Touch the payload the way a bot would look at it.
    std::string_view name;
    if (d.data["name"].get(name) == simdjson::SUCCESS) json_bytes += name.size();
    guild_seen();
  });

  megane::proto::GatewayConfig config;
  config.token = megane::bench::read_token(token_file);
  config.gateway_url = gateway_url;
  config.intents = 1 | 2;  // GUILDS, GUILD_MEMBERS
  config.total_shards = 1;
  gateway.impl().start(config, 0, 1, std::make_unique<megane::bench::LocalAuthority>());
  io.run();
  if (seen < guilds) {
    std::fprintf(stderr, "stopped after %llu of %llu GUILD_CREATEs\n", static_cast<unsigned long long>(seen),
                 static_cast<unsigned long long>(guilds));
    return 1;
  }
  const megane::CacheCounts c = cache.counts();
  const double grown = static_cast<double>(rss_done) - static_cast<double>(rss_ready);
  std::cout << fmt::format(
                   R"({{"cache":"{}","members":"{}","guilds":{},"cpu_s":{:.4f},"wall_s":{:.4f},"rss_ready_mb":{:.1f},)"
                   R"("rss_done_mb":{:.1f},"bytes_per_guild":{:.0f},"cached_guilds":{},"channels":{},"roles":{},)"
                   R"("members_cached":{},"users":{},"malformed":{}}})",
                   cache_flag, members_flag, guilds, cpu_done - cpu_ready,
                   std::chrono::duration<double>(wall_done - wall_ready).count(), static_cast<double>(rss_ready) / 1e6,
                   static_cast<double>(rss_done) / 1e6, grown / static_cast<double>(guilds), c.guilds, c.channels,
                   c.roles, c.members, c.users, c.malformed)
            << std::endl;
  return json_bytes > 0 ? 0 : 1;
}
