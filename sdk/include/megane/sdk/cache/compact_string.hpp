// A 16-byte string for cached names: up to 15 bytes live inline (most usernames, channel and
// role names), longer ones in one exact-size heap block. A std::string is 32 bytes and its
// inline buffer holds 15 too, so this halves the size of every name field in the cache.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace megane {

class CompactString {
 public:
  static constexpr std::size_t inline_capacity = 15;

  CompactString() noexcept { bytes_.fill(0); }
  explicit CompactString(std::string_view text) : CompactString() { assign(text); }
  CompactString(const CompactString& other) : CompactString() { assign(other.view()); }
  CompactString(CompactString&& other) noexcept : bytes_(other.bytes_) { other.bytes_.fill(0); }
  CompactString& operator=(const CompactString& other) {
    if (this != &other) assign(other.view());
    return *this;
  }
  CompactString& operator=(CompactString&& other) noexcept;
  ~CompactString() { release(); }

  void assign(std::string_view text);
  std::string_view view() const noexcept;
  std::size_t size() const noexcept { return view().size(); }
  bool empty() const noexcept { return bytes_[15] == 0; }
  bool on_heap() const noexcept { return bytes_[15] == heap_tag; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: reads like a string

  friend bool operator==(const CompactString& a, std::string_view b) noexcept { return a.view() == b; }

 private:
  // Inline: bytes [0, 15) hold the text, byte 15 its size (0-15). Heap: bytes [0, 8) a char*,
  // [8, 12) the size, byte 15 heap_tag.
  static constexpr unsigned char heap_tag = 0xFF;
  void release() noexcept;

  alignas(8) std::array<unsigned char, 16> bytes_;
};

static_assert(sizeof(CompactString) == 16);

}  // namespace megane
