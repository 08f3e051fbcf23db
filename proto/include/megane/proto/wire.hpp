// Little-endian payload encoding: fixed-width integers, and strings/bytes as u32 length + data.
// The Reader never reads past its input; the first failure sticks and every later read
// returns a zero value, so a handler decodes all fields and checks ok() once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <megane/proto/frame.hpp>

namespace megane::proto {

class Writer {
 public:
  Writer() noexcept : out_(&own_) {}
  // Appends to `out` instead of an own buffer: a payload can be encoded straight into an
  // output buffer behind its frame header, without a temporary vector and a copy.
  explicit Writer(Bytes& out) noexcept : out_(&out) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Capacity for `n` more bytes: one allocation instead of growing field by field.
  Writer& reserve(std::size_t n);
  Writer& u8(std::uint8_t v);
  Writer& u16(std::uint16_t v);
  Writer& u32(std::uint32_t v);
  Writer& u64(std::uint64_t v);
  Writer& str(std::string_view v);  // u32 length + bytes
  Writer& raw(ByteView v);          // bytes, no length

  const Bytes& bytes() const noexcept { return *out_; }
  Bytes take() noexcept { return std::move(*out_); }

 private:
  Bytes own_;
  Bytes* out_;
};

// Bytes a str() field of this length takes on the wire.
constexpr std::size_t str_size(std::string_view v) noexcept { return 4 + v.size(); }

class Reader {
 public:
  explicit Reader(ByteView in) noexcept : in_(in) {}

  std::uint8_t u8() noexcept;
  std::uint16_t u16() noexcept;
  std::uint32_t u32() noexcept;
  std::uint64_t u64() noexcept;
  // A u8 that must be 0 or 1; anything else fails the reader.
  bool flag() noexcept;
  std::string_view str() noexcept;  // view into the input
  ByteView rest() noexcept;         // everything not yet read

  bool ok() const noexcept { return ok_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }
  // True when every field decoded and nothing is left over.
  bool done() const noexcept { return ok_ && at_end(); }

 private:
  bool take(std::size_t n, const std::uint8_t*& p) noexcept;

  ByteView in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace megane::proto
