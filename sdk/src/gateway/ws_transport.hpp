// One WebSocket connection to a gateway, plain (ws://) or TLS (wss://). This interface keeps
// Boost.Beast in a single translation unit (ws_transport.cpp): Beast costs ~40 s and ~2 GB
// of compiler per TU, and the shard logic does not need to see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "url.hpp"

namespace megane::gateway {

struct PeerClose {
  std::uint16_t code = 0;  // 0: the connection ended without a close frame
  std::string reason;
};

class WsTransport {
 public:
  using error_code = boost::system::error_code;

  virtual ~WsTransport() = default;

  // Resolves, connects, does the TLS handshake (SNI, certificate and host name checked
  // against the system's trust store, or SSL_CERT_FILE) for wss://, then the WebSocket
  // upgrade with `user_agent`. Everything within `timeout`.
  virtual boost::asio::awaitable<error_code> connect(const Url& url, std::string user_agent,
                                                     std::chrono::milliseconds timeout) = 0;
  // The next message (text or binary). The view stays valid until the next read().
  virtual boost::asio::awaitable<error_code> read(std::string_view& message) = 0;
  virtual boost::asio::awaitable<error_code> write(std::string_view text) = 0;
  // Sends a close frame and waits for the peer's (at most `timeout`), then drops the socket.
  virtual boost::asio::awaitable<void> close(std::uint16_t code, std::string reason,
                                             std::chrono::milliseconds timeout) = 0;
  // Drops the TCP connection now, without a close frame; pending operations fail.
  virtual void abort() noexcept = 0;
  // The peer's close frame, once read() failed because the peer closed.
  virtual PeerClose peer_close() const = 0;
};

std::unique_ptr<WsTransport> make_ws_transport(const boost::asio::any_io_executor& executor);

}  // namespace megane::gateway
