#include <megane/sdk/cache/image_hash.hpp>

#include <cstring>

namespace megane {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

// Lowercase hex digit -> value, anything else -> -1 (uppercase is not Discord's spelling: such a
// hash is kept as text so it comes back unchanged). A table: every cached user's avatar passes.
constexpr auto hex_table = [] {
  std::array<signed char, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<signed char>(i);
  for (int i = 0; i < 6; ++i) t['a' + i] = static_cast<signed char>(10 + i);
  return t;
}();

int hex_value(char c) noexcept { return hex_table[static_cast<unsigned char>(c)]; }

}  // namespace

ImageHash::ImageHash(const ImageHash& other) : ImageHash() { *this = other; }

ImageHash& ImageHash::operator=(const ImageHash& other) {
  if (this == &other) return *this;
  if (other.kind_ == Kind::text) {
    assign(*other.text());
  } else {
    release();
    bytes_ = other.bytes_;
    kind_ = other.kind_;
  }
  return *this;
}

ImageHash& ImageHash::operator=(ImageHash&& other) noexcept {
  if (this != &other) {
    release();
    bytes_ = other.bytes_;
    kind_ = other.kind_;
    other.kind_ = Kind::none;
  }
  return *this;
}

void ImageHash::assign(std::string_view text) {
  std::string_view digits = text;
  const bool animated = digits.starts_with("a_");
  if (animated) digits.remove_prefix(2);
  std::array<unsigned char, 16> packed{};
  bool ok = digits.size() == 32;
  for (std::size_t i = 0; ok && i < 16; ++i) {
    const int hi = hex_value(digits[2 * i]);
    const int lo = hex_value(digits[2 * i + 1]);
    ok = hi >= 0 && lo >= 0;
    packed[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  if (text.empty()) {
    release();
  } else if (ok) {
    release();
    bytes_ = packed;
    kind_ = animated ? Kind::packed_animated : Kind::packed;
  } else {
    auto* copy = new std::string(text);
    release();
    std::memcpy(bytes_.data(), &copy, sizeof copy);
    kind_ = Kind::text;
  }
}

void ImageHash::clear() noexcept { release(); }

bool ImageHash::animated() const noexcept {
  if (kind_ == Kind::text) return text()->starts_with("a_");
  return kind_ == Kind::packed_animated;
}

std::string ImageHash::str() const {
  std::string out;
  append_to(out);
  return out;
}

void ImageHash::append_to(std::string& out) const {
  switch (kind_) {
    case Kind::none: return;
    case Kind::text: out.append(*text()); return;
    case Kind::packed_animated: out.append("a_"); [[fallthrough]];
    case Kind::packed:
      for (const unsigned char b : bytes_) {
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 15]);
      }
      return;
  }
}

const std::string* ImageHash::text() const noexcept {
  const std::string* p = nullptr;
  std::memcpy(&p, bytes_.data(), sizeof p);
  return p;
}

void ImageHash::release() noexcept {
  if (kind_ == Kind::text) delete text();
  bytes_.fill(0);
  kind_ = Kind::none;
}

}  // namespace megane
