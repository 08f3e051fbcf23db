// Frame header codec and an incremental assembler that turns a byte stream into frames.
// Nothing here throws or trusts its input: every length is checked before it is used.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <megane/proto/protocol.hpp>

namespace megane::proto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

struct FrameHeader {
  MessageType type = MessageType::error;
  std::uint16_t flags = 0;
  std::uint32_t request_id = 0;
  std::uint32_t length = 0;

  bool has(FrameFlags f) const noexcept { return (flags & static_cast<std::uint16_t>(f)) != 0; }
};

enum class HeaderStatus : std::uint8_t {
  ok,
  need_more,   // fewer than frame_header_size bytes
  bad_magic,   // not a megane frame (or an incompatible major version)
  too_large,   // length over the receiver's limit
};

std::string_view to_string(HeaderStatus status) noexcept;

// Writes the 16 header bytes for `header` into `out`.
void encode_header(const FrameHeader& header, std::span<std::uint8_t, frame_header_size> out) noexcept;

// Reads a header from the first 16 bytes of `in`.
HeaderStatus decode_header(ByteView in, std::uint32_t max_payload, FrameHeader& out) noexcept;

// Appends one whole frame (header + payload) to `out`. The payload length must fit u32.
void append_frame(Bytes& out, MessageType type, std::uint16_t flags, std::uint32_t request_id,
                  ByteView payload);

// A frame borrowed from the assembler's buffer: valid until the next feed()/consume call.
struct FrameView {
  FrameHeader header;
  ByteView payload;
};

// Accumulates bytes read from a stream and yields complete frames. Frames of any split
// (byte by byte, many per read) come out the same.
class FrameAssembler {
 public:
  explicit FrameAssembler(std::uint32_t max_payload = default_max_frame_bytes) noexcept
      : max_payload_(max_payload) {}

  // Space to read into: at least `min_free` writable bytes; call commit(n) after reading n.
  std::span<std::uint8_t> prepare(std::size_t min_free = 64 * 1024);
  void commit(std::size_t n) noexcept;
  // Copies bytes in (tests, fuzzing).
  void feed(ByteView bytes);

  // Next complete frame, or nullopt-like status: ok with frame filled, need_more, or an error
  // after which the connection must close (the assembler stays in that error).
  HeaderStatus next(FrameView& frame) noexcept;

  std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  void compact();

  std::uint32_t max_payload_;
  Bytes buffer_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last valid byte
  HeaderStatus failed_ = HeaderStatus::ok;
};

}  // namespace megane::proto
