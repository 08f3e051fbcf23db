#include "fakecord/ws_codec.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace fakecord::ws {

std::size_t frame_header_size(std::size_t payload_size) {
  if (payload_size < 126) return 2;
  if (payload_size <= 0xFFFF) return 4;
  return 10;
}

void append_frame_header(std::string& out, Opcode op, std::size_t payload_size, bool fin) {
  const auto b0 = static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(op));
  out.push_back(b0);
  if (payload_size < 126) {
    out.push_back(static_cast<char>(payload_size));
  } else if (payload_size <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>((payload_size >> 8) & 0xFF));
    out.push_back(static_cast<char>(payload_size & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(payload_size) >> shift) & 0xFF));
    }
  }
}

void append_frame(std::string& out, Opcode op, std::string_view payload, bool fin) {
  append_frame_header(out, op, payload.size(), fin);
  out.append(payload);
}

void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason) {
  if (reason.size() > 123) reason = reason.substr(0, 123);  // control frames carry <= 125 bytes
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  append_frame(out, Opcode::close, payload);
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input.append(guid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return {reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n)};
}

void Decoder::fail(std::vector<Event>& events, std::uint16_t code, std::string_view why) {
  failed_ = true;
  buffer_.clear();
  message_.clear();
  events.push_back(Event{EventKind::error, Opcode::close, std::string(why), code});
}

void Decoder::feed(std::string_view bytes, std::vector<Event>& events) {
  if (failed_) return;
  buffer_.append(bytes);
  std::size_t at = 0;
  while (!failed_) {
    const std::size_t avail = buffer_.size() - at;
    if (avail < 2) break;
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + at);
    const bool fin = (p[0] & 0x80) != 0;
    const unsigned rsv = p[0] & 0x70u;
    const unsigned op = p[0] & 0x0Fu;
    const bool masked = (p[1] & 0x80) != 0;
    std::uint64_t len = p[1] & 0x7Fu;
    std::size_t header = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (std::uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      header = 10;
    }
    if (rsv != 0) return fail(events, 1002, "reserved bits set");
    if (require_mask_ && !masked) return fail(events, 1002, "client frames must be masked");
    const bool control = op >= 8;
    if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10) return fail(events, 1002, "unknown opcode");
    if (control && (!fin || len > 125)) return fail(events, 1002, "bad control frame");
    if (!control && (in_message_ ? message_.size() : 0) + len > max_message_) {
      return fail(events, 1009, "message too big");
    }
    const std::size_t mask_size = masked ? 4 : 0;
    if (avail < header + mask_size + len) break;
    std::string payload(buffer_.data() + at + header + mask_size, static_cast<std::size_t>(len));
    if (masked) {
      const unsigned char* key = p + header;
      for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ key[i % 4]);
    }
    at += header + mask_size + static_cast<std::size_t>(len);

    if (op == 8) {
      if (payload.size() == 1) return fail(events, 1002, "bad close payload");
      Event e{EventKind::close, Opcode::close, {}, 1005};
      if (payload.size() >= 2) {
        e.code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                            static_cast<unsigned char>(payload[1]));
        e.data = payload.substr(2);
      }
      events.push_back(std::move(e));
      continue;
    }
    if (op == 9 || op == 10) {
      events.push_back(Event{op == 9 ? EventKind::ping : EventKind::pong, static_cast<Opcode>(op), std::move(payload), 0});
      continue;
    }
    if (op == 0) {
      if (!in_message_) return fail(events, 1002, "continuation without a message");
      message_.append(payload);
    } else {
      if (in_message_) return fail(events, 1002, "new message inside a fragmented one");
      in_message_ = true;
      message_opcode_ = static_cast<Opcode>(op);
      message_ = std::move(payload);
    }
    if (fin) {
      in_message_ = false;
      events.push_back(Event{EventKind::message, message_opcode_, std::move(message_), 0});
      message_.clear();
    }
  }
  if (!failed_) buffer_.erase(0, at);
}

}  // namespace fakecord::ws
