#include "fakecord/bench.hpp"

#include <fmt/format.h>

#include "fakecord/gateway_connection.hpp"
#include "fakecord/guild_json.hpp"
#include "fakecord/hub.hpp"
#include "fakecord/payloads.hpp"

namespace fakecord {

namespace {

double seconds_since(TimePoint t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Identifies a connection and drains everything up to the last GUILD_CREATE.
void identify(GatewayConnection& conn, const Options& options, std::string& sink) {
  const std::string identify = fmt::format(
      R"({{"op":2,"d":{{"token":"{}","intents":{},"properties":{{"os":"linux","browser":"bench","device":"bench"}}}}}})",
      options.token, intent_guilds | intent_guild_messages | intent_message_content);
  conn.open(Clock::now());
  conn.on_message(identify, Clock::now());
  for (;;) {
    conn.pump();
    if (conn.outbox().pending() == 0) break;
    conn.outbox().take(sink);
  }
}

void bench_burst(const Options& base, bool zlib, std::uint64_t events) {
  Options options = base;
  options.token = "bench";
  options.replay_buffer = 100'000;
  Hub hub(options, Clock::now());
  GatewayConnection conn(hub, ConnectionParams{zlib, true, false}, Clock::now());
  conn.set_high_water(1 << 20);
  std::string sink;
  identify(conn, options, sink);
  Session* session = conn.session();
  if (session == nullptr || session->templates->empty()) {
    fmt::print("burst: no session (population too small?)\n");
    return;
  }
  std::uint64_t bytes = 0;
  const TimePoint t0 = Clock::now();
  for (std::uint64_t done = 0; done < events;) {
    const std::uint64_t n = std::min<std::uint64_t>(1024, events - done);
    hub.dispatch_burst(*session, n);
    done += n;
    while (conn.next_seq() <= session->seq) {
      conn.outbox().take(sink);
      bytes += sink.size();
      conn.pump();
    }
    conn.outbox().take(sink);
    bytes += sink.size();
  }
  const double s = seconds_since(t0);
  fmt::print("burst MESSAGE_CREATE {:<12} {:>10} events  {:>8.3f} s  {:>10.0f} events/s  {:>7.1f} MB/s on the wire\n",
             zlib ? "(zlib-stream)" : "(plain)", events, s, static_cast<double>(events) / s,
             static_cast<double>(bytes) / s / 1e6);
}

}  // namespace

int run_bench(const Options& options, std::uint64_t burst_events) {
  fmt::print("population: {} guilds x {} members x {} channels x {} roles, seed {}\n", options.guilds,
             options.members_per_guild, options.channels_per_guild, options.roles_per_guild, options.seed);
  TimePoint t0 = Clock::now();
  const Population pop(PopulationSpec{options.guilds, options.members_per_guild, options.channels_per_guild,
                                      options.roles_per_guild, options.seed});
  fmt::print("population build (ids, index)       {:>8.3f} s\n", seconds_since(t0));

  t0 = Clock::now();
  std::string text;
  std::uint64_t bytes = 0;
  for (std::size_t g = 0; g < pop.guild_count(); ++g) {
    text.clear();
    append_dispatch_head(text, "GUILD_CREATE", g + 2);
    append_guild_create(text, pop, g, 50);
    text.push_back('}');
    bytes += text.size();
  }
  const double s = seconds_since(t0);
  fmt::print("all GUILD_CREATE payloads           {:>8.3f} s  {:>8.1f} MB  {:>8.0f} guilds/s\n", s,
             static_cast<double>(bytes) / 1e6, static_cast<double>(pop.guild_count()) / s);

  bench_burst(options, false, burst_events);
  bench_burst(options, true, burst_events);
  return 0;
}

}  // namespace fakecord
