// MESSAGE_CREATE ingest of one shard: the SDK's real gateway client (zlib-stream inflate,
// simdjson parse, dispatch to a handler that reads the message) against fakecord's burst.
// Prints {"ready":true} once the shard is READY; bench/gateway_ingest.sh then starts the burst.
// Reports events per CPU-second of this process (user + system), measured from the first
// MESSAGE_CREATE to the last, so the connection set-up does not count.
//
//   megane_gateway_ingest_bench --gateway ws://127.0.0.1:PORT --token-file F --events N

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "gateway/gateway_impl.hpp"
#include "gateway_bench_support.hpp"


int main(int argc, char** argv) {
  std::string gateway_url, token_file;
  std::uint64_t events = 200'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--gateway") gateway_url = argv[i + 1];
    else if (flag == "--token-file") token_file = argv[i + 1];
    else if (flag == "--events") events = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (gateway_url.empty() || token_file.empty() || events < 2) {
    std::fprintf(stderr, "usage: %s --gateway URL --token-file F --events N\n", argv[0]);
    return 2;
  }

  boost::asio::io_context io(1);
  auto logger = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_level(spdlog::level::warn);
  megane::Gateway gateway(std::make_unique<megane::Gateway::Impl>(io.get_executor(), logger, [&](int) { io.stop(); }));

  std::uint64_t seen = 0, content_bytes = 0;
  double cpu_first = 0, cpu_last = 0;
  auto wall_first = std::chrono::steady_clock::now(), wall_last = wall_first;
  gateway.on("MESSAGE_CREATE", [&](const megane::Dispatch& d) {
    // What a bot reads of every message, so the parse is not wasted.
    std::string_view content, channel;
    if (d.data["content"].get_string().get(content) == simdjson::SUCCESS) content_bytes += content.size();
    if (d.data["channel_id"].get_string().get(channel) == simdjson::SUCCESS) content_bytes += channel.size() > 0;
    if (++seen == 1) {
      cpu_first = megane::bench::cpu_seconds();
      wall_first = std::chrono::steady_clock::now();
    } else if (seen == events) {
      cpu_last = megane::bench::cpu_seconds();
      wall_last = std::chrono::steady_clock::now();
      io.stop();
    }
  });
  bool announced = false;
  gateway.on("READY", [&](const megane::Dispatch&) {
    if (announced) return;
    announced = true;
    std::cout << "{\"ready\":true}" << std::endl;
  });

  megane::proto::GatewayConfig config;
  config.token = megane::bench::read_token(token_file);
  config.gateway_url = gateway_url;
  config.intents = 513 | (1u << 15);  // GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT
  config.total_shards = 1;
  gateway.impl().start(config, 0, 1, std::make_unique<megane::bench::LocalAuthority>());
  io.run();
  if (seen < events) {
    std::fprintf(stderr, "stopped after %llu of %llu events\n", static_cast<unsigned long long>(seen),
                 static_cast<unsigned long long>(events));
    return 1;
  }
  const double cpu = cpu_last - cpu_first;
  const double wall = std::chrono::duration<double>(wall_last - wall_first).count();
  const auto counted = static_cast<double>(events - 1);
  std::cout << fmt::format(R"({{"events":{},"cpu_s":{:.4f},"wall_s":{:.4f},"events_per_cpu_s":{:.0f},"events_per_s":{:.0f}}})",
                           events - 1, cpu, wall, counted / cpu, counted / wall)
            << std::endl;
  return content_bytes > 0 ? 0 : 1;
}
