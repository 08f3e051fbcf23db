// A tiny deflate encoder (RFC 1951) for one case zlib cannot make cheap: a burst message that is
// mostly bytes the client decompressed moments ago. It writes one fixed-Huffman block of
// literals and back-references to those bytes, then a sync flush (empty stored block,
// 00 00 ff ff). No searching: the caller says where each piece was seen before.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fakecord {

class FixedDeflate {
 public:
  explicit FixedDeflate(std::string& out) : out_(out) { bits(0b010, 3); }  // BFINAL 0, BTYPE 01 (fixed)

  void literals(std::string_view text);
  // `length` bytes equal to those `distance` bytes back (1..32768); any length >= 3.
  void copy(std::size_t length, std::size_t distance);
  // End of block, then an empty stored block: the stream ends byte-aligned with 00 00 ff ff.
  void finish_sync_flush();

 private:
  void bits(std::uint32_t value, int count);  // LSB first
  void huffman(std::uint32_t code, int length);  // MSB first, as Huffman codes are
  void symbol(std::uint32_t lit_len);
  void match(std::uint32_t length, std::uint32_t distance);

  std::string& out_;
  std::uint64_t acc_ = 0;
  int count_ = 0;
};

}  // namespace fakecord
