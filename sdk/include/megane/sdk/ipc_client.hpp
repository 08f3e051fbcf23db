// The connection of a child process to meganed: handshake, automatic pong, fire-and-forget
// frames and requests matched by id. Everything runs on one executor (the worker's
// io_context); there are no locks, and one writer coroutine drains the write queue.
// Expected failures (daemon gone, timeout, error reply) come back as values, never as
// exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <megane/proto/frame.hpp>
#include <megane/proto/messages.hpp>
#include <megane/proto/protocol.hpp>

namespace spdlog {
class logger;
}

namespace megane {

enum class IpcStatus : std::uint8_t {
  ok,
  unreachable,     // no socket, connection refused, or another connect failure
  timeout,         // the deadline passed first
  rejected,        // the daemon answered with an error frame (see `error`)
  disconnected,    // the connection is closed (or was never open)
  protocol_error,  // the peer sent bytes that are not a valid megane frame/payload
  cancelled,       // the awaiting coroutine was cancelled
};

std::string_view to_string(IpcStatus status) noexcept;

// The answer to request(). On `ok`, `payload` is the reply's payload. On `rejected`,
// `error` is the daemon's ErrorReply; on any other status it describes the local failure.
struct Reply {
  IpcStatus status = IpcStatus::ok;
  proto::FrameHeader header;
  proto::Bytes payload;
  proto::ErrorReply error;

  bool ok() const noexcept { return status == IpcStatus::ok; }
};

// One request of IpcClient::request_batch: its type and encoded payload.
struct BatchRequest {
  proto::MessageType type = proto::MessageType::error;
  proto::Bytes payload;
};

struct HandshakeResult {
  IpcStatus status = IpcStatus::ok;
  proto::HelloOk hello_ok;   // when ok
  proto::ErrorReply error;   // rejected: the daemon's reason; otherwise what went wrong here

  bool ok() const noexcept { return status == IpcStatus::ok; }
};

// Why the connection ended, when the client did not close it itself.
struct Disconnect {
  IpcStatus reason = IpcStatus::disconnected;  // disconnected or protocol_error
  std::string message;
};

class IpcClient {
 public:
  using MessageHandler = std::function<void(const proto::FrameHeader&, proto::ByteView payload)>;
  using DisconnectHandler = std::function<void(const Disconnect&)>;

  static constexpr std::chrono::milliseconds default_handshake_timeout{5'000};

  IpcClient(boost::asio::any_io_executor executor, std::shared_ptr<spdlog::logger> logger,
            std::uint32_t max_frame_bytes = proto::default_max_frame_bytes);
  ~IpcClient();  // close()s
  IpcClient(IpcClient&&) noexcept;
  IpcClient& operator=(IpcClient&&) noexcept;
  IpcClient(const IpcClient&) = delete;
  IpcClient& operator=(const IpcClient&) = delete;

  // Connects, sends `hello` (request id 1) and waits for hello_ok, all within `timeout`.
  // On success the read loop and the writer start; pings are answered from now on.
  boost::asio::awaitable<HandshakeResult> connect(
      std::string socket_path, proto::Hello hello,
      std::chrono::milliseconds timeout = default_handshake_timeout);

  // Queues one frame (request id 0, no flags). False when not connected or the write queue
  // is over its bound (the frame is dropped and a warning logged).
  bool send(proto::MessageType type, proto::ByteView payload = {});
  // Queues the answer to a request the daemon sent (flag reply, its request id); with
  // `error`, the payload is an encoded ErrorReply. False as for send().
  bool send_reply(proto::MessageType type, std::uint32_t request_id, proto::ByteView payload,
                  bool error = false);

  // Sends a request and waits for the reply with the same id, at most `timeout`. A reply
  // arriving after the deadline is dropped with a debug log. The payload is taken by value
  // because the coroutine starts only when awaited.
  boost::asio::awaitable<Reply> request(proto::MessageType type, proto::Bytes payload,
                                        std::chrono::milliseconds timeout);

  // Sends every request back to back (one write when the socket takes them all) and waits
  // for all their replies, each at most `timeout`: one Reply per request, in order, as
  // request() would have answered it. The daemon handles them in this order. One coroutine
  // suspension for the lot is what makes this cheaper than awaiting each request.
  boost::asio::awaitable<std::vector<Reply>> request_batch(std::vector<BatchRequest> requests,
                                                           std::chrono::milliseconds timeout);

  // Frames the client does not handle itself (not ping, not a reply). Without a handler they
  // are logged at debug and dropped: newer daemons may send types this SDK does not know.
  // megane::run installs the handler that delivers commands and events to the worker, so a
  // worker must not replace it.
  void on_message(MessageHandler handler);
  // Called once when the daemon closes the connection or breaks the protocol; not called
  // after close(). There is one handler: megane::run installs the one that stops the
  // process, so a worker must not replace it.
  void on_disconnect(DisconnectHandler handler);

  // Waits until every frame queued so far is written to the socket (true), the connection
  // ends or `timeout` passes (false). Used before exiting, so final reports are not lost.
  boost::asio::awaitable<bool> flush(std::chrono::milliseconds timeout);

  // Closes the socket now; pending requests complete with `disconnected`. Idempotent.
  void close();
  bool connected() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the read and write coroutines
};

}  // namespace megane
