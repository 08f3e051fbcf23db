#include <megane/sdk/cache/compact_string.hpp>

#include <cstring>
#include <limits>
#include <stdexcept>

namespace megane {

CompactString& CompactString::operator=(CompactString&& other) noexcept {
  if (this != &other) {
    release();
    bytes_ = other.bytes_;
    other.bytes_.fill(0);
  }
  return *this;
}

void CompactString::assign(std::string_view text) {
  if (text == view()) return;
  if (text.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("CompactString: over 4 GiB");
  // Copy first: `text` may point into our own heap block.
  if (text.size() <= inline_capacity) {
    std::array<unsigned char, 16> fresh{};
    if (!text.empty()) std::memcpy(fresh.data(), text.data(), text.size());
    fresh[15] = static_cast<unsigned char>(text.size());
    release();
    bytes_ = fresh;
    return;
  }
  char* block = new char[text.size()];
  std::memcpy(block, text.data(), text.size());
  release();
  const auto size = static_cast<std::uint32_t>(text.size());
  bytes_.fill(0);
  std::memcpy(bytes_.data(), &block, sizeof block);
  std::memcpy(bytes_.data() + 8, &size, sizeof size);
  bytes_[15] = heap_tag;
}

std::string_view CompactString::view() const noexcept {
  if (!on_heap()) return {reinterpret_cast<const char*>(bytes_.data()), bytes_[15]};
  const char* block = nullptr;
  std::uint32_t size = 0;
  std::memcpy(&block, bytes_.data(), sizeof block);
  std::memcpy(&size, bytes_.data() + 8, sizeof size);
  return {block, size};
}

void CompactString::release() noexcept {
  if (!on_heap()) return;
  char* block = nullptr;
  std::memcpy(&block, bytes_.data(), sizeof block);
  delete[] block;
  bytes_.fill(0);
}

}  // namespace megane
