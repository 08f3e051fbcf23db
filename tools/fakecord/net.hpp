// Internal to server.cpp and gateway_io.cpp (the only files that include Asio): a byte stream
// that is plain TCP or TLS behind one interface, deadlines, and the two entry points from the
// listener into the gateway and burst coroutines.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "fakecord/burst.hpp"
#include "fakecord/gateway_connection.hpp"

namespace fakecord {
class Hub;
}

namespace fakecord::net {

namespace asio = boost::asio;
using boost::system::error_code;

class Transport {
 public:
  virtual ~Transport() = default;
  virtual asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) = 0;
  // Writes all of buffer.
  virtual asio::awaitable<error_code> write(asio::const_buffer buffer) = 0;
  // Closes the TCP connection at once (no TLS close_notify, no WebSocket close frame); pending
  // operations complete with an error.
  virtual void close() = 0;
  virtual asio::any_io_executor executor() = 0;
};

// A deadline for one step: if not disarmed in time, on_expire runs (it closes the transport).
class Watchdog {
 public:
  explicit Watchdog(const asio::any_io_executor& executor) : timer_(executor) {}
  void arm(std::chrono::milliseconds timeout, std::function<void()> on_expire) {
    timer_.expires_after(timeout);
    timer_.async_wait([fn = std::move(on_expire)](error_code ec) {
      if (!ec) fn();
    });
  }
  void disarm() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

// co_spawn's completion: a task that ends by throwing is logged, never silently lost.
std::function<void(std::exception_ptr)> log_failure(std::string what);

// Serves an upgraded WebSocket; `leftover` holds bytes read past the HTTP request.
void start_gateway_connection(Hub& hub, std::unique_ptr<Transport> transport, std::string leftover,
                              const ConnectionParams& params);
void start_burst(const asio::any_io_executor& executor, Hub& hub, BurstJob job);

}  // namespace fakecord::net
