// The server side of RFC 6455 framing. fakecord frames gateway messages itself (Beast only parses
// the HTTP upgrade) so that a burst of thousands of messages becomes one socket write: Beast's
// websocket stream costs one write per message, which caps a burst far below 150k events/s.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fakecord::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Server frames are never masked.
std::size_t frame_header_size(std::size_t payload_size);
void append_frame_header(std::string& out, Opcode op, std::size_t payload_size, bool fin = true);
void append_frame(std::string& out, Opcode op, std::string_view payload, bool fin = true);
void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason);

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

enum class EventKind : std::uint8_t { message, ping, pong, close, error };

struct Event {
  EventKind kind = EventKind::message;
  Opcode opcode = Opcode::text;  // of a message: text or binary
  std::string data;              // message payload, ping/pong data, or close reason
  std::uint16_t code = 0;        // close: the peer's code (1005 if none); error: the code to close with
};

class Decoder {
 public:
  // Messages larger than max_message are an error (close 1009). Clients must mask (RFC 6455 5.1);
  // require_mask = false decodes server frames (tests).
  explicit Decoder(std::size_t max_message, bool require_mask = true)
      : max_message_(max_message), require_mask_(require_mask) {}

  // Appends the events completed by these bytes. After an error event it ignores everything.
  void feed(std::string_view bytes, std::vector<Event>& events);
  bool failed() const noexcept { return failed_; }

 private:
  void fail(std::vector<Event>& events, std::uint16_t code, std::string_view why);

  std::size_t max_message_;
  bool require_mask_;
  bool failed_ = false;
  std::string buffer_;         // bytes of an incomplete frame
  bool in_message_ = false;    // a fragmented message is being assembled
  Opcode message_opcode_ = Opcode::text;
  std::string message_;
};

}  // namespace fakecord::ws
