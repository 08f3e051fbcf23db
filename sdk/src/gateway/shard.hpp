// One gateway shard: its connection's whole life. HELLO, IDENTIFY (with a permit) or RESUME,
// heartbeats with zombie detection, dispatches, reconnects (op 7, op 9, close codes classified
// in close_codes.hpp), the send limit, and a graceful stop that keeps the session resumable.
// Runs on the cluster's io_context; no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <simdjson.h>

#include <megane/proto/gateway_messages.hpp>

#include "close_codes.hpp"
#include "send_limiter.hpp"
#include "shard_authority.hpp"
#include "url.hpp"
#include "ws_transport.hpp"
#include "zlib_inflater.hpp"

namespace spdlog {
class logger;
}

namespace megane::gateway {

struct ShardSettings {
  std::string token;
  Url gateway;                      // the base URL (from /gateway/bot or the config)
  bool zlib_stream = true;
  std::uint64_t intents = 0;
  std::uint32_t large_threshold = 50;
  std::string presence_json;
  std::uint32_t total_shards = 1;
  std::string user_agent = "DiscordBot (https://github.com/megane, 0.1)";
  std::chrono::milliseconds connect_timeout{15'000};
  std::chrono::milliseconds hello_timeout{20'000};
  std::chrono::milliseconds close_timeout{2'000};
  // After this many failed connections to resume_gateway_url, use the base URL again.
  std::uint32_t resume_url_attempts = 3;
  // A connection that hears nothing (no dispatch, no heartbeat ACK, no other payload) this long
  // is closed and RESUMEd, whatever the heartbeat interval: 0 = off. Only this shard is touched.
  std::chrono::milliseconds silence_timeout{0};
};

struct ShardCallbacks {
  // Every dispatch (op 0), READY and RESUMED included. `data` lives during the call only.
  std::function<void(std::uint32_t shard, std::string_view name, std::uint64_t seq,
                     simdjson::dom::element data)> dispatch;
  // State changes (ready, fatal...): the gateway counts ready shards from these.
  std::function<void(const proto::ShardStatus&)> state;
};

struct ShardCounters {
  std::uint64_t identifies = 0;
  std::uint64_t resumes = 0;
  std::uint64_t dispatches = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t silences = 0;  // connections ended by the silence check
};

class Shard {
 public:
  Shard(boost::asio::any_io_executor executor, std::uint32_t id, const ShardSettings& settings,
        ShardAuthority& authority, ShardCallbacks callbacks, std::shared_ptr<spdlog::logger> logger);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // A session meganed kept from this shard's previous process: the first connection RESUMEs.
  void adopt_session(const proto::SessionInfo& session);
  // Runs until stop() or a fatal close. Completes then; never throws.
  boost::asio::awaitable<void> run();
  // Graceful: closes with a code that keeps the session resumable, then reports the final seq.
  // run() completes after this.
  void stop();

  // Queues a payload (e.g. op 8 REQUEST_GUILD_MEMBERS, op 3 presence) behind the send limit.
  void send(std::string payload);

  std::uint32_t id() const noexcept { return id_; }
  proto::ShardState state() const noexcept { return status_.state; }
  const proto::ShardStatus& status() const noexcept { return status_; }
  const ShardCounters& counters() const noexcept { return counters_; }
  bool has_session() const noexcept { return !session_id_.empty(); }
  // The session as RESUME would use it (session_id empty: none); after stop(), the final seq.
  proto::SessionInfo session() const { return {id_, session_id_, seq_.value_or(0), resume_url_}; }
  // The fatal close that ended the shard, if any (code, meaning).
  const std::string& fatal_reason() const noexcept { return fatal_reason_; }

 private:
  // How one connection ended and what comes next.
  struct Ending {
    AfterClose action = AfterClose::resume;
    std::uint16_t code = 0;  // close code, or 0
    std::string why;
    bool at_once = false;     // reconnect without a delay (op 7, a stop)
    bool failed = false;      // the connection never got going (counts towards backoff)
  };
  struct Outgoing {
    std::string text;
    bool heartbeat = false;
  };

  boost::asio::awaitable<Ending> connection();
  boost::asio::awaitable<Ending> read_loop();
  boost::asio::awaitable<Ending> heartbeat_loop();
  boost::asio::awaitable<Ending> write_loop();
  // Ends the connection once it heard nothing for settings_.silence_timeout (never when 0).
  boost::asio::awaitable<Ending> silence_loop();
  boost::asio::awaitable<std::optional<Ending>> read_hello();
  Ending ending_from_read_error(const boost::system::error_code& ec) const;
  // The JSON of the next payload from one WebSocket message: false while a zlib-stream
  // payload is incomplete, or when inflating failed (`broken` says how the connection ends).
  bool next_payload(std::string_view message, std::string_view& json, std::optional<Ending>& broken);
  std::optional<Ending> handle_payload(std::string_view json);
  void on_ready(std::string_view detail);
  std::optional<Ending> handle_dispatch(simdjson::dom::element doc, std::uint64_t seq, std::string_view name);
  void queue(std::string text, bool heartbeat);
  void set_state(proto::ShardState state, std::string detail);
  void report_session();
  void forget_session();
  std::chrono::milliseconds reconnect_delay(const Ending& ending);

  boost::asio::any_io_executor executor_;
  std::uint32_t id_;
  const ShardSettings& settings_;
  ShardAuthority& authority_;
  ShardCallbacks callbacks_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<WsTransport> transport_;
  ZlibStreamInflater inflater_;
  simdjson::dom::parser parser_;
  SendLimiter limiter_;
  std::mt19937 random_;

  // Session (what RESUME needs).
  std::string session_id_;
  std::optional<std::uint64_t> seq_;
  std::string resume_url_;
  std::uint32_t resume_url_failures_ = 0;

  // Connection state.
  std::chrono::milliseconds heartbeat_interval_{41'250};
  bool awaiting_ack_ = false;
  std::chrono::steady_clock::time_point beat_sent_at_;
  std::chrono::steady_clock::time_point last_heard_;  // the last payload of this connection
  std::deque<Outgoing> outbox_;
  boost::asio::steady_timer wake_writer_;
  bool closing_ = false;         // the writer must send our close frame
  bool stopping_ = false;        // stop() was called
  std::uint32_t failures_ = 0;   // connections in a row that did not reach READY/RESUMED
  bool ready_this_connection_ = false;
  bool waiting_permit_ = false;
  boost::asio::cancellation_signal permit_cancel_;  // stop() while waiting for a permit
  std::unordered_set<std::uint64_t> guilds_;

  proto::ShardStatus status_;
  ShardCounters counters_;
  std::string fatal_reason_;
  boost::asio::steady_timer delay_;  // between connections; stop() cancels it
};

// The close code a graceful stop sends: not 1000/1001, which would end the session.
inline constexpr std::uint16_t resumable_close_code = 4900;

}  // namespace megane::gateway
