// fakecord: a local Discord gateway v10 + REST simulator (docs/fakecord.md). This file is only
// the command line; the protocol is fakecord_core, the network server.cpp/gateway_io.cpp.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "fakecord/bench.hpp"
#include "fakecord/options.hpp"
#include "fakecord/server.hpp"

namespace {

using fakecord::Options;

// The token file must be private (like ~/.ssh keys): a bot token is a credential.
std::string read_token(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot read token file " + path);
  if ((st.st_mode & 077) != 0) {
    throw std::runtime_error(fmt::format("token file {} is readable by others (mode {:o}); chmod 600 it", path,
                                         st.st_mode & 0777));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw std::runtime_error("token file " + path + " is empty");
  return token;
}

std::uint32_t parse_privileged(const std::string& text) {
  if (text == "all") return fakecord::privileged_intents;
  if (text == "none" || text.empty()) return 0;
  std::uint32_t bits = 0;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "members") {
      bits |= fakecord::intent_guild_members;
    } else if (item == "presences") {
      bits |= fakecord::intent_guild_presences;
    } else if (item == "message_content") {
      bits |= fakecord::intent_message_content;
    } else {
      throw CLI::ValidationError("--privileged-intents", "unknown intent '" + item + "'");
    }
  }
  return bits;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fakecord: a local Discord gateway v10 + REST simulator for tests and demos."};
  Options o;
  std::string token_file;
  std::string privileged = "all";
  std::string log_level = "info";
  bool bench = false;
  std::uint64_t bench_events = 1'000'000;
  app.add_option("--port", o.port, "first of four ports (gateway, api, control, resume); 0 picks free ones")
      ->capture_default_str();
  app.add_option("--token-file", token_file, "file holding the valid bot token (mode 0600)");
  app.add_option("--guilds", o.guilds, "guilds the bot is in")->capture_default_str();
  app.add_option("--members-per-guild", o.members_per_guild, "members per guild, the bot included")
      ->capture_default_str()->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--channels-per-guild", o.channels_per_guild, "channels per guild")->capture_default_str();
  app.add_option("--roles-per-guild", o.roles_per_guild, "roles per guild, @everyone included")
      ->capture_default_str()->check(CLI::Range(1u, 250u));
  app.add_option("--seed", o.seed, "seed of the generated population")->capture_default_str();
  app.add_option("--shards-recommended", o.shards_recommended, "\"shards\" in GET /gateway/bot")
      ->capture_default_str()->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--expect-shards", o.expect_shards, "IDENTIFY with another shard total closes 4010 (0: any)")
      ->capture_default_str();
  app.add_option("--max-concurrency", o.max_concurrency, "identify buckets (shard_id % max_concurrency)")
      ->capture_default_str()->check(CLI::Range(1u, 65535u));
  app.add_option("--identify-window-ms", o.identify_window_ms, "one IDENTIFY per bucket per window")->capture_default_str();
  app.add_option("--session-total", o.session_total, "session_start_limit.total")->capture_default_str();
  app.add_option("--session-remaining", o.session_remaining, "session_start_limit.remaining at start")->capture_default_str();
  app.add_option("--session-reset-ms", o.session_reset_ms, "the budget resets to total this long after start")->capture_default_str();
  app.add_option("--hello-interval-ms", o.hello_interval_ms, "heartbeat_interval in HELLO")
      ->capture_default_str()->check(CLI::Range(10u, 3'600'000u));
  app.add_option("--privileged-intents", privileged,
                 "privileged intents enabled for the bot: all, none, or a list of members,presences,message_content")
      ->capture_default_str();
  app.add_option("--max-guilds-per-shard", o.max_guilds_per_shard, "more guilds on one session closes 4011")->capture_default_str();
  app.add_option("--resume-timeout-ms", o.resume_timeout_ms, "how long a disconnected session stays resumable")->capture_default_str();
  app.add_option("--replay-buffer", o.replay_buffer, "events kept per session for RESUME")
      ->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  app.add_option("--zlib-split-every", o.zlib_split_every, "zlib-stream: split every Nth message into two WebSocket messages (0: never)")
      ->capture_default_str();
  app.add_option("--zlib-level", o.zlib_level, "zlib level of ordinary payloads")->capture_default_str()->check(CLI::Range(0, 9));
  app.add_option("--burst-zlib-level", o.burst_zlib_level,
                 "zlib level of burst payloads; -1: back-references to the template, no zlib (fastest)")
      ->capture_default_str()->check(CLI::Range(-1, 9));
  app.add_flag("--tls", o.tls, "serve wss:// and https:// with an in-process self-signed certificate");
  app.add_option("--cert-out", o.cert_out, "with --tls: write the certificate (PEM) here for clients to trust");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_flag("--bench", bench, "measure population build, GUILD_CREATE and burst throughput, then exit");
  app.add_option("--bench-events", bench_events, "events per burst measurement")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("fakecord");
  logger->set_pattern("%H:%M:%S.%e fakecord %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));

  try {
    o.enabled_privileged_intents = parse_privileged(privileged);
    if (o.session_remaining > o.session_total) throw std::runtime_error("--session-remaining exceeds --session-total");
    if (o.cert_out.size() > 0 && !o.tls) throw std::runtime_error("--cert-out needs --tls");
    if (bench) {
      o.token = "bench";
      return fakecord::run_bench(o, bench_events);
    }
    if (token_file.empty()) throw std::runtime_error("--token-file is required");
    o.token = read_token(token_file);
    fakecord::Server server(o);
    const fakecord::Ports ports = server.listen();
    // The one line on stdout: tests and scripts read the ports from it.
    std::printf("{\"gateway_port\":%u,\"api_port\":%u,\"control_port\":%u,\"resume_port\":%u}\n", ports.gateway,
                ports.api, ports.control, ports.resume);
    std::fflush(stdout);
    spdlog::info("{} guilds, {} shards recommended, max_concurrency {}, {}", o.guilds, o.shards_recommended,
                 o.max_concurrency, o.tls ? "TLS" : "plain");
    server.run();
    return 0;
  } catch (const CLI::ValidationError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
}
