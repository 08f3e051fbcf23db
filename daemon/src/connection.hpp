// One peer on the daemon's socket: a read loop that cuts the byte stream into frames and hands
// them to the handler, and a single writer draining an output queue. A protocol violation
// closes this connection only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>

namespace megane::daemon {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class Connection;

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual void on_frame(Connection& conn, const proto::FrameView& frame) = 0;
  virtual void on_close(Connection& conn) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  Connection(Socket socket, ConnectionHandler& handler, std::uint64_t id, PeerCredentials peer,
             std::uint32_t max_frame_bytes, std::size_t max_output_bytes);

  void start(std::chrono::milliseconds handshake_timeout);
  void send(proto::MessageType type, std::uint16_t flags, std::uint32_t request_id,
            proto::ByteView payload);
  void reply(proto::MessageType type, std::uint32_t request_id, proto::ByteView payload);
  void reply_error(std::uint32_t request_id, proto::ErrorCode code, std::string_view message);
  // Stops reading now, flushes what is queued, then closes.
  void close_after_flush(std::string_view reason);
  void close_now(std::string_view reason);
  bool open() const noexcept { return !closing_; }

  std::uint64_t id() const noexcept { return id_; }
  const PeerCredentials& peer() const noexcept { return peer_; }

  // Set by the handler once the hello is accepted.
  bool handshaken = false;
  proto::Role role = proto::Role::control;
  std::uint32_t cluster_id = 0;
  std::uint64_t generation = 0;
  std::size_t child_index = static_cast<std::size_t>(-1);  // clusters and services

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void finish();

  Socket socket_;
  ConnectionHandler& handler_;
  std::uint64_t id_;
  PeerCredentials peer_;
  proto::FrameAssembler in_;
  std::deque<proto::Bytes> out_;
  std::size_t out_bytes_ = 0;
  std::size_t max_output_bytes_;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer handshake_timer_;
  bool writer_waiting_ = false;  // parked on wake_writer_: a send must wake it
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace megane::daemon
