// Everything the gateway connections share: options, the population, the identify limits, the
// sessions, the live connections and the counters. Pure and single-threaded: the network layer
// calls it from its one io_context thread, tests call it with a virtual clock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "fakecord/clock.hpp"
#include "fakecord/counters.hpp"
#include "fakecord/identify_limiter.hpp"
#include "fakecord/message_template.hpp"
#include "fakecord/options.hpp"
#include "fakecord/population.hpp"
#include "fakecord/session.hpp"

namespace fakecord {

class GatewayConnection;
class Outbox;

// REST behaviour the control API can change, and what bots posted.
struct RestState {
  std::uint32_t forced_429 = 0;     // answer this many more message posts (channel or webhook) with 429
  double retry_after_s = 1.0;
  bool global = false;
  bool all_routes = false;          // 429 on every authenticated route, not only messages
  std::uint32_t exhausted = 0;      // this many more accepted posts say X-RateLimit-Remaining: 0 ...
  double exhausted_reset_s = 1.0;   // ... with this X-RateLimit-Reset-After
  struct Posted {
    std::uint64_t id = 0;
    std::uint64_t channel_id = 0;
    std::uint64_t webhook_id = 0;   // 0: posted to the channel with the bot token
    std::string body;               // the JSON the bot sent
    std::string headers_json;       // {"Name":"value",...}, Authorization without the token
    std::uint64_t received_us = 0;  // since fakecord started
  };
  std::deque<Posted> posted;        // the newest 1,000
  // Every REST request, answered: what a test checks timings against (a retry no earlier
  // than the 429's retry_after).
  struct Logged {
    std::string method;
    std::string path;               // a webhook's token replaced by "<token>"
    unsigned status = 0;
    std::uint64_t received_us = 0;
  };
  std::deque<Logged> log;           // the newest 1,000
  struct Webhook {
    std::string token;
    std::uint64_t channel_id = 0;
  };
  std::map<std::uint64_t, Webhook> webhooks;  // made with the control API's POST /webhooks
};

class Hub {
 public:
  Hub(const Options& options, TimePoint start);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  const Options& options() const noexcept { return options_; }
  Options& mutable_options() noexcept { return options_; }
  const Population& population() const noexcept { return population_; }
  TimePoint start() const noexcept { return start_; }
  void set_urls(std::string gateway_url, std::string resume_url);
  const std::string& gateway_url() const noexcept { return gateway_url_; }
  const std::string& resume_url() const noexcept { return resume_url_; }

  // Connections register and unregister themselves.
  std::uint64_t add_connection(GatewayConnection& conn);
  void remove_connection(std::uint64_t id);
  std::vector<GatewayConnection*> connections() const;
  std::size_t connection_count() const noexcept { return connections_.size(); }

  Session& create_session(std::uint32_t shard_id, std::uint32_t num_shards, std::uint32_t intents,
                          std::uint32_t large_threshold);
  // A session RESUME may continue: known, valid and not expired.
  Session* find_resumable(std::string_view session_id, TimePoint now);
  Session* find_session(std::string_view session_id);
  void invalidate(Session& session);
  // A connection lets go of its session.
  void detached(Session& session, TimePoint now);
  // Valid sessions of one shard id (any total), or of every shard.
  std::vector<Session*> sessions_for(std::optional<std::uint32_t> shard_id);
  std::size_t session_count() const noexcept { return sessions_.size(); }

  // Appends a dispatch to the session (next seq) and lets the attached connection send it.
  void dispatch(Session& session, std::string_view event, std::string_view d_json);
  void dispatch_guild_creates(Session& session);
  // A guild's members as GUILD_MEMBERS_CHUNKs of up to 1,000 (the answer to op 8).
  void dispatch_member_chunks(Session& session, std::size_t guild, std::string_view nonce);
  // n burst MESSAGE_CREATEs; returns how many (0 when the shard has no guild to talk in).
  std::size_t dispatch_burst(Session& session, std::size_t n);
  // Writes one stored event to a connection's outbox.
  void render(const Session& session, const ReplayEntry& entry, Outbox& out);

  IdentifyLimiter& limiter() noexcept { return limiter_; }
  SessionBudget& budget() noexcept { return budget_; }
  Counters& counters() noexcept { return counters_; }
  RestState& rest() noexcept { return rest_; }
  std::uint64_t next_message_id() { return burst_message_id(message_counter_++); }
  void burst_started() { ++active_bursts_; }
  void burst_finished() { --active_bursts_; }

  std::string stats_json(TimePoint now);
  std::string sessions_json();
  void reset_counters() { counters_ = Counters{}; }
  // Heartbeat deadlines of connections and expiry of detached sessions.
  void tick(TimePoint now);

 private:
  void append(Session& session, ReplayEntry entry);
  const std::vector<MessageTemplate>& templates_for(std::uint32_t shard, std::uint32_t num_shards, bool content);

  Options options_;
  Population population_;
  TimePoint start_;
  std::string gateway_url_;
  std::string resume_url_;
  IdentifyLimiter limiter_;
  SessionBudget budget_;
  Counters counters_;
  RestState rest_;
  std::map<std::uint64_t, GatewayConnection*> connections_;
  std::uint64_t next_connection_id_ = 1;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
  std::uint64_t sessions_created_ = 0;
  std::map<std::tuple<std::uint32_t, std::uint32_t, bool>, std::vector<MessageTemplate>> templates_;
  std::uint64_t message_counter_ = 0;
  std::uint32_t active_bursts_ = 0;  // burst coroutines running (network layer)
  std::string scratch_;  // GUILD_CREATE text, reused
};

}  // namespace fakecord
