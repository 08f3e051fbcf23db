#include <megane/sdk/ipc_client.hpp>

#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "exception_text.hpp"
#include "reply_waiters.hpp"

namespace megane {

namespace asio = boost::asio;
using boost::system::error_code;
using proto::MessageType;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t hello_request_id = 1;
// Output buffer capacity kept after a write; more is released (a burst, then quiet).
constexpr std::size_t keep_capacity = 256 * 1024;
// A child that cannot get its frames out is stuck anyway; bound the queue instead of growing
// until the OOM killer picks a process.
constexpr std::size_t max_queued_bytes = 64u << 20;
// Early frames kept until a handler exists; more than this and the rest are dropped.
constexpr std::size_t max_held_frames = 1024;

proto::ErrorReply local_error(std::string message) {
  return {proto::ErrorCode::internal, std::move(message)};
}

Reply failure(IpcStatus status, std::string message) {
  Reply r;
  r.status = status;
  r.error = local_error(std::move(message));
  return r;
}

bool is_error_frame(const proto::FrameHeader& h) {
  return h.type == MessageType::error || h.has(proto::FrameFlags::error);
}

proto::ErrorReply decode_error(proto::ByteView payload) {
  proto::ErrorReply e;
  if (!proto::decode(payload, e)) e = local_error("meganed sent an undecodable error reply");
  return e;
}

}  // namespace

std::string_view to_string(IpcStatus status) noexcept {
  switch (status) {
    case IpcStatus::ok: return "ok";
    case IpcStatus::unreachable: return "daemon unreachable";
    case IpcStatus::timeout: return "timed out";
    case IpcStatus::rejected: return "rejected by the daemon";
    case IpcStatus::disconnected: return "disconnected";
    case IpcStatus::protocol_error: return "protocol error";
    case IpcStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

struct IpcClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> log, std::uint32_t max_frame)
      : executor(std::move(ex)),
        socket(executor),
        wake(executor),
        assembler(max_frame),
        max_frame_bytes(max_frame),
        logger(log ? std::move(log) : spdlog::default_logger()),
        pending(executor) {
    wake.expires_at(asio::steady_timer::time_point::max());
  }

  asio::any_io_executor executor;
  asio::local::stream_protocol::socket socket;
  asio::steady_timer wake;  // the writer sleeps on it while the queue is empty
  proto::FrameAssembler assembler;
  std::uint32_t max_frame_bytes;
  std::shared_ptr<spdlog::logger> logger;

  // Whole frames back to back; the writer swaps `queue` with `writing` and sends that in one
  // write. No allocation per frame.
  proto::Bytes queue;
  proto::Bytes writing;
  // Bytes not yet on the socket: `writing` is cleared only once its write completed.
  std::size_t queued_bytes() const noexcept { return queue.size() + writing.size(); }
  detail::ReplyWaiters pending;
  std::uint32_t last_request_id = hello_request_id;
  bool writer_waiting = false;  // parked on `wake`: no write in progress
  bool flush_posted = false;    // a flush_now() is queued on the executor
  bool draining = false;        // inside drain(): what handlers queue leaves when the batch ends
  // Frames that arrived before a message handler was installed (e.g. a command right behind
  // hello_ok): kept, bounded, and handed over once on_message() installs one.
  std::vector<std::pair<proto::FrameHeader, proto::Bytes>> held;
  bool open = false;    // handshake done and not closed
  bool closed = false;  // close() called or connection lost: never reopens
  MessageHandler message_handler;
  DisconnectHandler disconnect_handler;

  asio::awaitable<HandshakeResult> handshake(std::string path, proto::Hello hello);
  void start();
  static asio::awaitable<void> read_loop(std::shared_ptr<Impl> self);
  static asio::awaitable<void> write_loop(std::shared_ptr<Impl> self);
  bool drain();
  bool dispatch_all();
  void dispatch(const proto::FrameView& frame);
  void complete(const proto::FrameHeader& header, proto::ByteView payload);
  bool enqueue(MessageType type, std::uint16_t flags, std::uint32_t id, proto::ByteView payload);
  void flush_now();
  std::uint32_t next_request_id();
  void lost(const error_code& ec);
  void fail(IpcStatus reason, std::string message);
  void shut();
};

asio::awaitable<HandshakeResult> IpcClient::Impl::handshake(std::string path, proto::Hello hello) {
  HandshakeResult result;
  auto fail_with = [&](IpcStatus status, std::string message) {
    result.status = status;
    result.error = local_error(std::move(message));
    return result;
  };

  asio::local::stream_protocol::endpoint endpoint;
  try {
    endpoint = asio::local::stream_protocol::endpoint(path);
  } catch (const std::exception& e) {  // only a path longer than sun_path throws
    co_return fail_with(IpcStatus::unreachable, fmt::format("bad socket path {}: {}", path, e.what()));
  }
  // co_await stays out of if-conditions throughout: g++ 12 miscompiles some of those.
  const auto [connect_ec] = co_await socket.async_connect(endpoint, use_tuple);
  if (connect_ec) {
    co_return fail_with(connect_ec == asio::error::operation_aborted ? IpcStatus::cancelled
                                                                     : IpcStatus::unreachable,
                        fmt::format("cannot connect to {}: {}", path, connect_ec.message()));
  }

  proto::Bytes frame;
  proto::append_frame(frame, MessageType::hello, 0, hello_request_id, proto::encode(hello));
  const auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(frame), use_tuple);
  if (write_ec) {
    co_return fail_with(IpcStatus::disconnected, fmt::format("sending hello: {}", write_ec.message()));
  }

  for (;;) {
    proto::FrameView f;
    const proto::HeaderStatus st = assembler.next(f);
    if (st == proto::HeaderStatus::need_more) {
      auto space = assembler.prepare();
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(space.data(), space.size()),
                                                     use_tuple);
      if (ec) {
        co_return fail_with(IpcStatus::disconnected,
                            fmt::format("meganed closed the connection during the handshake ({})",
                                        ec.message()));
      }
      assembler.commit(n);
      continue;
    }
    if (st != proto::HeaderStatus::ok) {
      co_return fail_with(IpcStatus::protocol_error,
                          fmt::format("bad frame from meganed: {}", proto::to_string(st)));
    }
    if (is_error_frame(f.header)) {
      result.status = IpcStatus::rejected;
      result.error = decode_error(f.payload);
      co_return result;
    }
    if (f.header.type != MessageType::hello_ok || f.header.request_id != hello_request_id) {
      co_return fail_with(IpcStatus::protocol_error,
                          fmt::format("expected hello_ok, got {} (request id {})",
                                      proto::to_string(f.header.type), f.header.request_id));
    }
    if (!proto::decode(f.payload, result.hello_ok)) {
      co_return fail_with(IpcStatus::protocol_error, "meganed sent an undecodable hello_ok");
    }
    // Frames that came in the same read (an early ping) stay in the assembler for read_loop.
    co_return result;
  }
}

void IpcClient::Impl::start() {
  open = true;
  auto log_failure = [log = logger](const char* what) {
    return [log, what](std::exception_ptr e) {
      if (e) log->error("IPC {} loop failed: {}", what, megane::detail::exception_text(e));
    };
  };
  asio::co_spawn(executor, read_loop(shared_from_this()), log_failure("read"));
  asio::co_spawn(executor, write_loop(shared_from_this()), log_failure("write"));
}

asio::awaitable<void> IpcClient::Impl::read_loop(std::shared_ptr<Impl> self) {
  self->socket.non_blocking(true);
  bool drained = true;  // the last read came up short: the socket is probably empty now
  while (self->drain()) {
    auto space = self->assembler.prepare();
    error_code ec;
    std::size_t n = 0;
    if (drained) {
      // Wait for readiness first: a read attempted on an empty socket costs a syscall that
      // only says EAGAIN (Asio tries one before it waits).
      auto [wec] = co_await self->socket.async_wait(asio::local::stream_protocol::socket::wait_read, use_tuple);
      ec = wec;
      if (!ec) n = self->socket.read_some(asio::buffer(space.data(), space.size()), ec);
      if (ec == asio::error::would_block) continue;
    } else {
      auto [rec, rn] = co_await self->socket.async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
      ec = rec;
      n = rn;
    }
    drained = n < space.size();
    if (ec) {
      self->lost(ec);
      co_return;
    }
    self->assembler.commit(n);
  }
}

// Handles every complete frame in the buffer, then writes whatever the handlers (and the
// coroutines resumed by replies) queued, in one write and before the loop polls again. False
// once the connection is gone.
bool IpcClient::Impl::drain() {
  draining = true;
  const bool alive = dispatch_all();
  draining = false;
  if (alive && !closed && !queue.empty()) flush_now();
  return alive && !closed;
}

asio::awaitable<void> IpcClient::Impl::write_loop(std::shared_ptr<Impl> self) {
  while (!self->closed) {
    if (self->queue.empty()) {
      self->writer_waiting = true;
      co_await self->wake.async_wait(use_tuple);  // cancelled by enqueue() and shut()
      self->writer_waiting = false;
      continue;
    }
    // Everything queued goes out in one write: with many requests in flight that is one
    // syscall for all of them instead of one each. Frames queued meanwhile collect in `queue`.
    self->writing.swap(self->queue);
    auto [ec, n] = co_await asio::async_write(self->socket, asio::buffer(self->writing), use_tuple);
    if (ec) {
      self->lost(ec);
      co_return;
    }
    if (self->writing.capacity() > keep_capacity) proto::Bytes().swap(self->writing);
    else self->writing.clear();
  }
}

bool IpcClient::Impl::dispatch_all() {
  proto::FrameView f;
  while (!closed) {
    const proto::HeaderStatus st = assembler.next(f);
    if (st == proto::HeaderStatus::need_more) return true;
    if (st != proto::HeaderStatus::ok) {
      fail(IpcStatus::protocol_error, fmt::format("bad frame from meganed: {}", proto::to_string(st)));
      return false;
    }
    dispatch(f);
  }
  return false;
}

void IpcClient::Impl::dispatch(const proto::FrameView& f) {
  const proto::FrameHeader& h = f.header;
  if (h.has(proto::FrameFlags::reply)) {
    complete(h, f.payload);
  } else if (h.type == MessageType::ping) {
    // Answered here, on the worker's own loop: a blocked loop stops answering, and that is
    // exactly how the daemon notices a hung cluster.
    enqueue(MessageType::pong, static_cast<std::uint16_t>(proto::FrameFlags::reply), h.request_id, {});
  } else if (h.type == MessageType::goodbye) {
    logger->info("meganed says goodbye: {}",
                 std::string_view(reinterpret_cast<const char*>(f.payload.data()), f.payload.size()));
  } else if (h.type == MessageType::error) {
    const proto::ErrorReply e = decode_error(f.payload);
    logger->warn("meganed reports an error: {} ({})", e.message, proto::to_string(e.code));
  } else if (message_handler) {
    try {
      message_handler(h, f.payload);
    } catch (const std::exception& e) {
      logger->error("IPC message handler threw on {}: {}", proto::to_string(h.type), e.what());
    }
  } else if (held.size() < max_held_frames) {
    held.emplace_back(h, proto::Bytes(f.payload.begin(), f.payload.end()));
  } else {
    logger->debug("ignoring IPC frame of type {:#06x} ({}): no handler installed", static_cast<unsigned>(h.type),
                  proto::to_string(h.type));
  }
}

void IpcClient::Impl::complete(const proto::FrameHeader& h, proto::ByteView payload) {
  if (!pending.contains(h.request_id)) {
    logger->debug("dropping reply {} ({}): no request waits for it (timed out?)", h.request_id,
                  proto::to_string(h.type));
    return;
  }
  Reply r;
  r.header = h;
  if (is_error_frame(h)) {
    r.status = IpcStatus::rejected;
    r.error = decode_error(payload);
  } else {
    r.payload.assign(payload.begin(), payload.end());
  }
  // We are on the loop, inside the read batch: the waiting coroutine resumes right here, so
  // its next request joins this batch's write instead of costing a scheduler round.
  pending.complete(h.request_id, std::move(r), detail::ReplyWaiters::Resume::dispatch);
}

bool IpcClient::Impl::enqueue(MessageType type, std::uint16_t flags, std::uint32_t id,
                              proto::ByteView payload) {
  if (!open) return false;
  if (payload.size() > max_frame_bytes) {
    logger->warn("not sending {}: {} bytes is over the {} byte frame limit", proto::to_string(type),
                 payload.size(), max_frame_bytes);
    return false;
  }
  const std::size_t queued = queued_bytes();
  if (queued + proto::frame_header_size + payload.size() > max_queued_bytes) {
    logger->warn("not sending {}: {} bytes already wait to be written", proto::to_string(type),
                 queued);
    return false;
  }
  proto::append_frame(queue, type, flags, id, payload);
  // With no write in progress the frame goes out from a posted flush (or, inside a read batch,
  // at its end): everything queued before it runs leaves in one write, and the idle writer is
  // not woken through its timer (a cancel costs a timer-queue update and an extra scheduler
  // round per frame).
  if (writer_waiting && !flush_posted && !draining) {
    flush_posted = true;
    asio::post(executor, [self = shared_from_this()] {
      self->flush_posted = false;
      self->flush_now();
    });
  }
  return true;
}

// Writes the queue straight from the loop when the socket takes it all (the usual case); the
// writer coroutine takes over only when the socket is full.
void IpcClient::Impl::flush_now() {
  if (closed || !writer_waiting || queue.empty()) return;
  error_code ec;
  const std::size_t n = socket.write_some(asio::buffer(queue), ec);  // the socket is non-blocking
  if (!ec && n == queue.size()) {
    if (queue.capacity() > keep_capacity) proto::Bytes().swap(queue);
    else queue.clear();
    return;
  }
  if (ec && ec != asio::error::would_block) {
    lost(ec);
    return;
  }
  queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
  wake.cancel();
}

std::uint32_t IpcClient::Impl::next_request_id() {
  // 0 means "not a request" and 1 is the hello's; skip ids still waiting after a wrap.
  do {
    ++last_request_id;
  } while (last_request_id <= hello_request_id || pending.contains(last_request_id));
  return last_request_id;
}

void IpcClient::Impl::lost(const error_code& ec) {
  if (closed) return;  // we closed it ourselves: the error is just the echo of that
  const bool peer_closed = ec == asio::error::eof || ec == asio::error::connection_reset ||
                           ec == asio::error::broken_pipe;
  fail(IpcStatus::disconnected,
       peer_closed ? std::string("meganed closed the connection")
                   : fmt::format("connection to meganed failed: {}", ec.message()));
}

void IpcClient::Impl::fail(IpcStatus reason, std::string message) {
  if (closed) return;
  shut();
  if (auto handler = std::exchange(disconnect_handler, nullptr)) {
    handler(Disconnect{reason, std::move(message)});
  }
}

void IpcClient::Impl::shut() {
  if (closed) return;
  closed = true;
  open = false;
  error_code ignored;
  socket.shutdown(asio::socket_base::shutdown_both, ignored);
  socket.close(ignored);
  wake.cancel();
  // `writing` stays: an aborted write may still reference it until it completes.
  pending.complete_all(failure(IpcStatus::disconnected, "the connection to meganed closed"));
}

IpcClient::IpcClient(asio::any_io_executor executor, std::shared_ptr<spdlog::logger> logger,
                     std::uint32_t max_frame_bytes)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(logger), max_frame_bytes)) {}

IpcClient::~IpcClient() { close(); }
IpcClient::IpcClient(IpcClient&&) noexcept = default;
IpcClient& IpcClient::operator=(IpcClient&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

asio::awaitable<HandshakeResult> IpcClient::connect(std::string socket_path, proto::Hello hello,
                                                    std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  const std::shared_ptr<Impl> self = impl_;
  if (self->open || self->closed) {
    HandshakeResult r;
    r.status = self->open ? IpcStatus::protocol_error : IpcStatus::disconnected;
    r.error = local_error("IpcClient::connect() may be called once");
    co_return r;
  }
  asio::steady_timer deadline(self->executor);
  deadline.expires_after(timeout);
  auto outcome =
      co_await (self->handshake(std::move(socket_path), std::move(hello)) || deadline.async_wait(use_tuple));
  HandshakeResult result;
  if (outcome.index() == 1) {
    result.status = IpcStatus::timeout;
    result.error = local_error(fmt::format("no hello_ok from meganed within {} ms", timeout.count()));
  } else {
    result = std::get<0>(std::move(outcome));
  }
  if (!result.ok()) {
    self->shut();
    co_return result;
  }
  self->start();
  co_return result;
}

bool IpcClient::send(MessageType type, proto::ByteView payload) {
  return impl_ && impl_->enqueue(type, 0, 0, payload);
}

bool IpcClient::send_reply(MessageType type, std::uint32_t request_id, proto::ByteView payload,
                           bool error) {
  auto flags = static_cast<std::uint16_t>(proto::FrameFlags::reply);
  if (error) flags |= static_cast<std::uint16_t>(proto::FrameFlags::error);
  return impl_ && impl_->enqueue(type, flags, request_id, payload);
}

// Not a coroutine of its own: the caller's co_await goes straight to the initiation, one
// coroutine frame and one resumption fewer per request than a co_return co_await here.
asio::awaitable<Reply> IpcClient::request(MessageType type, proto::Bytes payload,
                                          std::chrono::milliseconds timeout) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Reply)>(
      [self = impl_, type, timeout, payload = std::move(payload)](detail::ReplyWaiters::Handler handler) {
        // A failure is posted to the coroutine's own executor (there may be no client behind a
        // moved-from IpcClient): it resumes from the loop, not from inside this call.
        auto fail_with = [&](Reply r) {
          const auto ex = asio::get_associated_executor(handler);
          asio::post(ex, [h = std::move(handler), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
        };
        if (!self || !self->open) return fail_with(failure(IpcStatus::disconnected, "not connected to meganed"));
        const std::uint32_t id = self->next_request_id();
        if (!self->enqueue(type, 0, id, payload)) {
          return fail_with(failure(IpcStatus::disconnected, fmt::format("could not send {}", proto::to_string(type))));
        }
        // Suspended until the reply, the deadline or a cancellation resumes us (ReplyWaiters).
        self->pending.add(id, type, timeout, std::move(handler));
      },
      asio::use_awaitable);
}

asio::awaitable<std::vector<Reply>> IpcClient::request_batch(std::vector<BatchRequest> requests,
                                                            std::chrono::milliseconds timeout) {
  const std::shared_ptr<Impl> self = impl_;
  std::vector<Reply> replies(requests.size());
  std::vector<detail::ReplyWaiters::BatchMember> members(requests.size());
  bool sent_any = false;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const BatchRequest& r = requests[i];
    members[i].type = r.type;
    if (!self || !self->open) {
      replies[i] = failure(IpcStatus::disconnected, "not connected to meganed");
      continue;
    }
    const std::uint32_t id = self->next_request_id();
    if (!self->enqueue(r.type, 0, id, r.payload)) {
      replies[i] = failure(IpcStatus::disconnected, fmt::format("could not send {}", proto::to_string(r.type)));
      continue;
    }
    members[i].id = id;
    sent_any = true;
  }
  if (!sent_any) co_return replies;
  // Suspends until every sent request has its reply, deadline or cancellation (ReplyWaiters).
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::vector<Reply>)>(
      [&self, &members, &replies, timeout](detail::ReplyWaiters::BatchHandler handler) {
        self->pending.add_batch(members, std::move(replies), timeout, std::move(handler));
      },
      asio::use_awaitable);
}

asio::awaitable<bool> IpcClient::flush(std::chrono::milliseconds timeout) {
  const std::shared_ptr<Impl> self = impl_;
  if (!self) co_return true;
  // queued_bytes() drops only when a write completes, so 0 means "on the socket".
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer poll(self->executor);
  while (self->open && self->queued_bytes() > 0 && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(std::chrono::milliseconds(1));
    co_await poll.async_wait(use_tuple);
  }
  co_return self->queued_bytes() == 0;
}

void IpcClient::on_message(MessageHandler handler) {
  impl_->message_handler = std::move(handler);
  if (impl_->held.empty() || !impl_->message_handler) return;
  // Hand over what arrived early, on the loop (not inside the caller's stack), in order.
  asio::post(impl_->executor, [impl = impl_] {
    auto held = std::move(impl->held);
    impl->held.clear();
    for (auto& [h, payload] : held) {
      if (impl->closed || !impl->message_handler) return;
      try {
        impl->message_handler(h, payload);
      } catch (const std::exception& e) {
        impl->logger->error("IPC message handler threw on {}: {}", proto::to_string(h.type), e.what());
      }
    }
  });
}
void IpcClient::on_disconnect(DisconnectHandler handler) {
  impl_->disconnect_handler = std::move(handler);
}

void IpcClient::close() {
  if (!impl_) return;
  // Not clearing message_handler: close() may be called from inside it.
  impl_->disconnect_handler = nullptr;
  impl_->shut();
}

bool IpcClient::connected() const noexcept { return impl_ && impl_->open; }

}  // namespace megane
