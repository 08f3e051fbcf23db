// One gateway WebSocket connection as a state machine with no sockets: feed it the client's
// payloads and the time, read what it wants written from its Outbox. It applies Discord's rules
// (close codes 4001-4014, op 9 for too-early IDENTIFY and failed RESUME, heartbeats) and moves
// events from its session to the outbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>

#include <simdjson.h>

#include "fakecord/clock.hpp"
#include "fakecord/outbox.hpp"

namespace fakecord {

class Hub;
struct Session;
struct IdentifyRequest;
struct ResumeRequest;

struct ConnectionParams {
  bool zlib = false;          // compress=zlib-stream
  bool version_ok = true;     // v=10
  bool resume_port = false;   // accepted on the resume_gateway_url port
};

enum class ConnectionState : std::uint8_t { connected, authenticated, closed };

class GatewayConnection {
 public:
  GatewayConnection(Hub& hub, const ConnectionParams& params, TimePoint now);
  ~GatewayConnection();
  GatewayConnection(const GatewayConnection&) = delete;
  GatewayConnection& operator=(const GatewayConnection&) = delete;

  // HELLO, or close 4012 for a wrong API version.
  void open(TimePoint now);
  void on_message(std::string_view payload, TimePoint now);
  // The client's close frame: answered with a close frame; 1000/1001 end the session.
  void on_client_close(std::uint16_t code);
  // Broken framing (close 1002/1009).
  void on_protocol_error(std::uint16_t code, std::string_view why);
  // The socket is gone: the session is detached and stays resumable.
  void on_transport_closed(TimePoint now);
  // Closes with 4009 when the client stopped heartbeating.
  void tick(TimePoint now);
  // Moves the session's unsent events into the outbox until it holds high_water bytes.
  void pump();

  // Fault injection (control API).
  void request_heartbeat();
  void send_reconnect();
  void send_invalid_session(bool resumable, TimePoint now);
  void set_zombie(bool on) { zombie_ = on; }
  // Silent: no heartbeat ACK and no dispatch; events stay in the session, so a RESUME from
  // another connection gets them all. Off again: the held events go out.
  void set_silent(bool on) {
    silent_ = on;
    zombie_ = on;
    if (!on) pump();
  }
  void close(std::uint16_t code, std::string_view reason);
  void drop();

  Outbox& outbox() noexcept { return outbox_; }
  std::uint64_t id() const noexcept { return id_; }
  ConnectionState state() const noexcept { return state_; }
  Session* session() const noexcept { return session_; }
  std::uint64_t next_seq() const noexcept { return next_seq_; }
  bool zombie() const noexcept { return zombie_; }
  bool silent() const noexcept { return silent_; }
  const ConnectionParams& params() const noexcept { return params_; }
  void set_high_water(std::size_t bytes) { high_water_ = bytes; }

 private:
  void heartbeat(TimePoint now);
  static bool token_matches(std::string_view sent, std::string_view expected);
  void identify(const IdentifyRequest& req, TimePoint now);
  void request_guild_members(simdjson::simdjson_result<simdjson::dom::element> d);
  void resume(const ResumeRequest& req, TimePoint now);
  void invalid_session(bool resumable);
  void attach(Session& session, std::uint64_t next_seq);
  void detach(TimePoint now);
  // Closes with a gateway close code; codes that end the session invalidate it.
  void fail(std::uint16_t code, std::string_view reason);
  bool over_send_limit(TimePoint now);

  Hub& hub_;
  ConnectionParams params_;
  Outbox outbox_;
  std::uint64_t id_ = 0;
  ConnectionState state_ = ConnectionState::connected;
  Session* session_ = nullptr;
  std::uint64_t next_seq_ = 1;  // the session event this connection sends next
  TimePoint last_heartbeat_;
  bool zombie_ = false;
  bool silent_ = false;
  bool heartbeat_requested_ = false;
  std::deque<TimePoint> sends_;  // the client's payloads in the last 60 s
  std::size_t high_water_ = 256 * 1024;
};

}  // namespace fakecord
