// An avatar / icon hash as Discord sends it: 32 lowercase hex digits, with an "a_" prefix when
// the image is animated, or null. Packed into 16 bytes plus a kind byte (17 bytes instead of a
// 34-byte string on the heap); a hash of any other shape is kept as text, so nothing is lost.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace megane {

class ImageHash {
 public:
  ImageHash() noexcept { bytes_.fill(0); }
  explicit ImageHash(std::string_view text) : ImageHash() { assign(text); }
  ImageHash(const ImageHash& other);
  ImageHash(ImageHash&& other) noexcept : bytes_(other.bytes_), kind_(other.kind_) { other.kind_ = Kind::none; }
  ImageHash& operator=(const ImageHash& other);
  ImageHash& operator=(ImageHash&& other) noexcept;
  ~ImageHash() { release(); }

  // Empty text means null.
  void assign(std::string_view text);
  void clear() noexcept;
  bool empty() const noexcept { return kind_ == Kind::none; }
  bool animated() const noexcept;
  // The hash as Discord spells it ("" for null).
  std::string str() const;
  void append_to(std::string& out) const;

  friend bool operator==(const ImageHash& a, std::string_view b) { return a.str() == b; }

 private:
  enum class Kind : std::uint8_t { none = 0, packed = 1, packed_animated = 2, text = 3 };
  void release() noexcept;
  const std::string* text() const noexcept;

  std::array<unsigned char, 16> bytes_;  // packed digits, or a std::string* for Kind::text
  Kind kind_ = Kind::none;
};

static_assert(sizeof(ImageHash) == 17);

}  // namespace megane
