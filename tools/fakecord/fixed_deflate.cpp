#include "fakecord/fixed_deflate.hpp"

#include <array>

namespace fakecord {

namespace {

// RFC 1951 3.2.5: length codes 257..285 and distance codes 0..29.
constexpr std::array<std::uint16_t, 29> length_base = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                       31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<std::uint8_t, 29> length_extra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<std::uint16_t, 30> dist_base = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                                     33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                                     1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<std::uint8_t, 30> dist_extra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                     6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

template <std::size_t N>
std::size_t code_index(const std::array<std::uint16_t, N>& base, std::uint32_t value) {
  std::size_t i = N - 1;
  while (base[i] > value) --i;
  return i;
}

}  // namespace

void FixedDeflate::bits(std::uint32_t value, int count) {
  acc_ |= static_cast<std::uint64_t>(value) << count_;
  count_ += count;
  while (count_ >= 8) {
    out_.push_back(static_cast<char>(acc_ & 0xFF));
    acc_ >>= 8;
    count_ -= 8;
  }
}

void FixedDeflate::huffman(std::uint32_t code, int length) {
  std::uint32_t reversed = 0;
  for (int i = 0; i < length; ++i) reversed |= ((code >> i) & 1u) << (length - 1 - i);
  bits(reversed, length);
}

void FixedDeflate::symbol(std::uint32_t lit_len) {
  // RFC 1951 3.2.6, the fixed literal/length code.
  if (lit_len <= 143) {
    huffman(0x30 + lit_len, 8);
  } else if (lit_len <= 255) {
    huffman(0x190 + (lit_len - 144), 9);
  } else if (lit_len <= 279) {
    huffman(lit_len - 256, 7);
  } else {
    huffman(0xC0 + (lit_len - 280), 8);
  }
}

void FixedDeflate::literals(std::string_view text) {
  for (const char c : text) symbol(static_cast<unsigned char>(c));
}

void FixedDeflate::match(std::uint32_t length, std::uint32_t distance) {
  const std::size_t li = length == 258 ? 28 : code_index(length_base, length);
  symbol(static_cast<std::uint32_t>(257 + li));
  bits(length - length_base[li], length_extra[li]);
  const std::size_t di = code_index(dist_base, distance);
  huffman(static_cast<std::uint32_t>(di), 5);
  bits(distance - dist_base[di], dist_extra[di]);
}

void FixedDeflate::copy(std::size_t length, std::size_t distance) {
  while (length > 0) {
    // Chunks of at most 258; never leave a remainder of 1 or 2 (matches are >= 3).
    std::size_t n = length;
    if (n > 258) n = length - 258 < 3 ? length - 3 : 258;
    match(static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(distance));
    length -= n;
  }
}

void FixedDeflate::finish_sync_flush() {
  symbol(256);     // end of block
  bits(0, 3);      // BFINAL 0, BTYPE 00: stored
  if (count_ > 0) bits(0, 8 - count_);
  out_.append("\x00\x00\xff\xff", 4);  // LEN 0, NLEN ~0
}

}  // namespace fakecord
