// A tiny blocking WebSocket + HTTP client for fakecord's integration test, written against the
// RFCs rather than with Beast so it checks fakecord's framing independently: the HTTP upgrade,
// masked client frames, reading server frames, and zlib-stream inflation.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

struct z_stream_s;

namespace megane::test {

using namespace std::chrono_literals;

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string headers;
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:port (Connection: close).
HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = "", const std::string& authorization = "");

class WsClient {
 public:
  // Connects and upgrades; connected() says whether the server answered 101.
  WsClient(std::uint16_t port, const std::string& target, bool zlib = false);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool connected() const noexcept { return fd_ >= 0 && upgrade_status_ == 101; }
  int upgrade_status() const noexcept { return upgrade_status_; }
  void send_text(const std::string& payload);
  void send_close(std::uint16_t code);
  // Closes the TCP connection without a close frame.
  void drop();
  // The next gateway payload (inflated with zlib-stream); nullopt on timeout or when the
  // connection ended (then closed() is true and close_code() has the server's code, if any).
  std::optional<std::string> read(std::chrono::milliseconds timeout = 5s);
  bool closed() const noexcept { return closed_; }
  std::optional<std::uint16_t> close_code() const noexcept { return close_code_; }
  // zlib-stream: WebSocket messages that did not end with 00 00 ff ff.
  std::uint64_t partial_messages() const noexcept { return partial_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  void send_frame(std::uint8_t opcode, const std::string& payload);

  int fd_ = -1;
  int upgrade_status_ = 0;
  std::string in_;
  std::string compressed_;
  z_stream_s* zs_ = nullptr;
  bool closed_ = false;
  std::optional<std::uint16_t> close_code_;
  std::uint64_t partial_ = 0;
};

}  // namespace megane::test
