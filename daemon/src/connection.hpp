// One peer on the daemon's socket: a read loop that cuts the byte stream into frames and hands
// them to the handler, and a single writer draining an output queue. A protocol violation
// closes this connection only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>
#include <megane/proto/wire.hpp>

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
  // Once per read from the peer, before its frames: it is alive (one clock read per batch
  // instead of one per frame).
  virtual void on_read(Connection& conn) = 0;
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
  // Appends one frame whose payload `fill(proto::Writer&)` encodes straight into the output
  // buffer: no payload vector, no copy.
  template <class Fill>
  void send_with(proto::MessageType type, std::uint16_t flags, std::uint32_t request_id, Fill&& fill) {
    if (!can_queue()) return;
    const std::size_t at = begin_frame();
    proto::Writer w(out_);
    fill(w);
    end_frame(at, type, flags, request_id);
  }
  template <class Fill>
  void reply_with(proto::MessageType type, std::uint32_t request_id, Fill&& fill) {
    send_with(type, static_cast<std::uint16_t>(proto::FrameFlags::reply), request_id, std::forward<Fill>(fill));
  }
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
  // Connections written to while a batch of frames is handled; flushed when it ends.
  class FlushBatch {
   public:
    FlushBatch();
    ~FlushBatch();
    FlushBatch(const FlushBatch&) = delete;
    FlushBatch& operator=(const FlushBatch&) = delete;

   private:
    std::vector<std::shared_ptr<Connection>> members_;
    std::vector<std::shared_ptr<Connection>>* outer_;
  };

  boost::asio::awaitable<void> read_loop();
  void schedule_flush();
  void flush_now();
  boost::asio::awaitable<void> write_loop();
  void finish();
  bool can_queue() const noexcept { return !(finished_ || (closing_ && out_.empty() && !socket_.is_open())); }
  std::size_t begin_frame();  // reserves the header, returns where the frame starts
  void end_frame(std::size_t at, proto::MessageType type, std::uint16_t flags, std::uint32_t request_id);

  Socket socket_;
  ConnectionHandler& handler_;
  std::uint64_t id_;
  PeerCredentials peer_;
  proto::FrameAssembler in_;
  // Frames are appended to out_ back to back; the writer swaps it with writing_ and sends that
  // in one write. No allocation per frame, one syscall per batch.
  proto::Bytes out_;
  proto::Bytes writing_;
  std::size_t max_output_bytes_;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer handshake_timer_;
  bool writer_waiting_ = false;  // parked on wake_writer_: no write in progress
  bool flush_scheduled_ = false;  // in the current batch, or a flush_now() is posted
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace megane::daemon
