#include <megane/proto/wire.hpp>

#include <cstring>
#include <limits>

namespace megane::proto {

Writer& Writer::reserve(std::size_t n) {
  out_->reserve(out_->size() + n);
  return *this;
}

namespace {
// Fixed-width little-endian append: one resize and plain stores, not a push_back per byte.
template <class T>
void put_le(Bytes& out, T v) {
  const std::size_t at = out.size();
  out.resize(at + sizeof(T));
  for (std::size_t i = 0; i < sizeof(T); ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
}  // namespace

Writer& Writer::u8(std::uint8_t v) {
  out_->push_back(v);
  return *this;
}
Writer& Writer::u16(std::uint16_t v) {
  put_le(*out_, v);
  return *this;
}
Writer& Writer::u32(std::uint32_t v) {
  put_le(*out_, v);
  return *this;
}
Writer& Writer::u64(std::uint64_t v) {
  put_le(*out_, v);
  return *this;
}
Writer& Writer::str(std::string_view v) {
  u32(static_cast<std::uint32_t>(v.size()));
  // char -> uint8_t through insert() is a loop per byte; one resize and a memcpy is not.
  if (!v.empty()) {
    const std::size_t at = out_->size();
    out_->resize(at + v.size());
    std::memcpy(out_->data() + at, v.data(), v.size());
  }
  return *this;
}
Writer& Writer::raw(ByteView v) {
  out_->insert(out_->end(), v.begin(), v.end());
  return *this;
}

bool Reader::take(std::size_t n, const std::uint8_t*& p) noexcept {
  if (!ok_ || in_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  p = in_.data() + pos_;
  pos_ += n;
  return true;
}

std::uint8_t Reader::u8() noexcept {
  const std::uint8_t* p = nullptr;
  return take(1, p) ? p[0] : 0;
}
std::uint16_t Reader::u16() noexcept {
  const std::uint8_t* p = nullptr;
  if (!take(2, p)) return 0;
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t Reader::u32() noexcept {
  const std::uint8_t* p = nullptr;
  if (!take(4, p)) return 0;
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t Reader::u64() noexcept {
  const std::uint8_t* p = nullptr;
  if (!take(8, p)) return 0;
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
bool Reader::flag() noexcept {
  const std::uint8_t v = u8();
  if (v > 1) ok_ = false;
  return v == 1;
}

std::string_view Reader::str() noexcept {
  const std::uint32_t n = u32();
  const std::uint8_t* p = nullptr;
  if (!take(n, p)) return {};
  return {reinterpret_cast<const char*>(p), n};
}
ByteView Reader::rest() noexcept {
  if (!ok_) return {};
  ByteView r = in_.subspan(pos_);
  pos_ = in_.size();
  return r;
}

}  // namespace megane::proto
