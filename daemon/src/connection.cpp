#include "connection.hpp"

#include <algorithm>
#include <span>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <megane/proto/messages.hpp>
#include <spdlog/spdlog.h>

namespace megane::daemon {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

// Output buffer capacity kept after a write; more is released (a burst to a slow reader).
constexpr std::size_t keep_capacity = 256 * 1024;

Connection::Connection(Socket socket, ConnectionHandler& handler, std::uint64_t id,
                       PeerCredentials peer, std::uint32_t max_frame_bytes,
                       std::size_t max_output_bytes)
    : socket_(std::move(socket)),
      handler_(handler),
      id_(id),
      peer_(peer),
      in_(max_frame_bytes),
      max_output_bytes_(max_output_bytes),
      wake_writer_(socket_.get_executor()),
      handshake_timer_(socket_.get_executor()) {
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
}

void Connection::start(std::chrono::milliseconds handshake_timeout) {
  auto self = shared_from_this();
  socket_.non_blocking(true);  // flush_now() writes without blocking the loop
  // A peer that connects and says nothing must not hold a slot forever.
  handshake_timer_.expires_after(handshake_timeout);
  handshake_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->handshaken || self->closing_) return;
    self->reply_error(0, proto::ErrorCode::bad_handshake, "no hello within the handshake timeout");
    self->close_after_flush("handshake timeout");
  });
  auto log_failure = [self](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("connection {}: task failed: {}", self->id_, ex.what());
    }
    self->close_now("internal error");
  };
  asio::co_spawn(socket_.get_executor(), read_loop(), log_failure);
  asio::co_spawn(socket_.get_executor(), write_loop(), log_failure);
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  bool drained = true;  // the last read came up short: the socket is probably empty now
  while (!closing_) {
    auto space = in_.prepare();
    boost::system::error_code ec;
    std::size_t n = 0;
    if (drained) {
      // Wait for readiness first: a read attempted on an empty socket costs a syscall that
      // only says EAGAIN (Asio tries one before it waits).
      auto [wec] = co_await socket_.async_wait(Socket::wait_read, as_tuple(use_awaitable));
      ec = wec;
      if (!ec) n = socket_.read_some(asio::buffer(space.data(), space.size()), ec);
      if (ec == asio::error::would_block) continue;
    } else {
      auto [rec, rn] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                         as_tuple(use_awaitable));
      ec = rec;
      n = rn;
    }
    drained = n < space.size();
    if (ec) {
      if (!closing_) close_now(ec == asio::error::eof ? "peer closed" : ec.message());
      break;
    }
    in_.commit(n);
    handler_.on_read(*this);
    proto::FrameView frame;
    const FlushBatch batch;  // no co_await below until the batch ends
    for (;;) {
      if (closing_) break;
      const auto st = in_.next(frame);
      if (st == proto::HeaderStatus::need_more) break;
      if (st == proto::HeaderStatus::too_large) {
        reply_error(frame.header.request_id, proto::ErrorCode::frame_too_large,
                    fmt::format("frame of {} bytes is over this daemon's limit", frame.header.length));
        close_after_flush("oversized frame");
        break;
      }
      if (st != proto::HeaderStatus::ok) {
        close_now(proto::to_string(st));
        break;
      }
      handler_.on_frame(*this, frame);
    }
  }
  finish();
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  for (;;) {
    while (!out_.empty()) {
      // Everything queued goes out in one write: under load that is one syscall for many
      // replies instead of one each. Frames queued meanwhile collect in out_.
      writing_.swap(out_);
      auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(writing_), as_tuple(use_awaitable));
      // A burst may have grown the buffer a lot: do not keep that memory per idle connection.
      if (writing_.capacity() > keep_capacity) proto::Bytes().swap(writing_);
      else writing_.clear();
      if (ec) {
        out_.clear();
        close_now(ec.message());
        co_return;
      }
    }
    if (closing_) break;
    writer_waiting_ = true;
    auto [ec] = co_await wake_writer_.async_wait(as_tuple(use_awaitable));
    writer_waiting_ = false;
    (void)ec;  // cancelled = there is something to write (or we are closing)
  }
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

std::size_t Connection::begin_frame() {
  const std::size_t at = out_.size();
  out_.resize(at + proto::frame_header_size);
  return at;
}

void Connection::end_frame(std::size_t at, proto::MessageType type, std::uint16_t flags,
                           std::uint32_t request_id) {
  const std::size_t length = out_.size() - at - proto::frame_header_size;
  proto::encode_header(proto::FrameHeader{type, flags, request_id, static_cast<std::uint32_t>(length)},
                       std::span<std::uint8_t, proto::frame_header_size>(out_.data() + at, proto::frame_header_size));
  if (out_.size() + writing_.size() > max_output_bytes_) {
    // A peer that does not read must not make the daemon hold unbounded memory.
    spdlog::warn("connection {} (pid {}): over {} bytes queued, output buffer limit reached (peer not "
                 "reading); disconnecting it",
                 id_, peer_.pid, max_output_bytes_);
    out_.clear();
    close_now("output buffer limit reached (peer not reading)");
    return;
  }
  schedule_flush();
}

namespace {
// While a read loop hands a batch of frames to the handler, the connections those frames
// wrote to collect here and are flushed when the batch ends: one write per peer per batch,
// and no extra scheduler round. The daemon runs one loop thread; this is that thread's batch.
thread_local std::vector<std::shared_ptr<Connection>>* current_batch = nullptr;
}  // namespace

void Connection::schedule_flush() {
  if (!writer_waiting_ || flush_scheduled_) return;
  flush_scheduled_ = true;
  if (current_batch != nullptr) {
    current_batch->push_back(shared_from_this());
    return;
  }
  // Written outside a read batch (a timer, a child's exit): flush once the loop is free.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->flush_now(); });
}

// Writes the queue straight from the loop when the socket takes it all (the usual case); the
// writer coroutine takes over only when the socket is full.
void Connection::flush_now() {
  flush_scheduled_ = false;
  if (!writer_waiting_ || out_.empty() || !socket_.is_open()) return;
  boost::system::error_code ec;
  const std::size_t n = socket_.write_some(asio::buffer(out_), ec);  // the socket is non-blocking
  if (!ec && n == out_.size()) {
    if (out_.capacity() > keep_capacity) proto::Bytes().swap(out_);
    else out_.clear();
    if (closing_) wake_writer_.cancel();  // the writer closes the socket once all is out
    return;
  }
  if (ec && ec != asio::error::would_block) {
    close_now(ec.message());
    return;
  }
  out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(n));
  wake_writer_.cancel();
}

Connection::FlushBatch::FlushBatch() : outer_(current_batch) { current_batch = &members_; }

Connection::FlushBatch::~FlushBatch() {
  current_batch = outer_;
  for (auto& conn : members_) conn->flush_now();
}

void Connection::send(proto::MessageType type, std::uint16_t flags, std::uint32_t request_id,
                      proto::ByteView payload) {
  send_with(type, flags, request_id, [&](proto::Writer& w) { w.raw(payload); });
}

void Connection::reply(proto::MessageType type, std::uint32_t request_id, proto::ByteView payload) {
  send(type, static_cast<std::uint16_t>(proto::FrameFlags::reply), request_id, payload);
}

void Connection::reply_error(std::uint32_t request_id, proto::ErrorCode code, std::string_view message) {
  send_with(proto::MessageType::error,
            static_cast<std::uint16_t>(proto::FrameFlags::reply) | static_cast<std::uint16_t>(proto::FrameFlags::error),
            request_id, [&](proto::Writer& w) { proto::encode_error(w, code, message); });
}

void Connection::close_after_flush(std::string_view reason) {
  if (closing_) return;
  spdlog::debug("connection {}: closing ({})", id_, reason);
  closing_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_receive, ignored);
  wake_writer_.cancel();
  finish();
}

void Connection::close_now(std::string_view reason) {
  if (!closing_) spdlog::debug("connection {}: closed ({})", id_, reason);
  closing_ = true;
  out_.clear();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.cancel(ignored);
  wake_writer_.cancel();
  finish();
}

void Connection::finish() {
  if (finished_) return;
  finished_ = true;
  handshake_timer_.cancel();
  handler_.on_close(*this);
}

}  // namespace megane::daemon
