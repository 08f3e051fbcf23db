// zlib-stream transport compression: one inflate context for the whole connection; a payload
// is complete when the compressed bytes received so far end with 00 00 ff ff (Z_SYNC_FLUSH),
// which may take several WebSocket messages. The output keeps `padding` spare bytes after the
// payload so simdjson can parse it in place.
//
// Inflated with ISA-L's igzip (libisal), not zlib: on fakecord's GUILD_CREATEs (176 MB of JSON,
// 22 MB compressed) it takes ~0.13 s of CPU where zlib 1.2.13 took ~0.27 s, and inflating was a
// third of what caching 2,500 guilds cost (docs/benchmarks.md, cache section).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct inflate_state;  // ISA-L's (isa-l/igzip_lib.h)

namespace megane::gateway {

class ZlibStreamInflater {
 public:
  static constexpr std::size_t padding = 64;  // >= SIMDJSON_PADDING

  enum class Result { need_more, payload, error };

  ZlibStreamInflater();
  ~ZlibStreamInflater();
  ZlibStreamInflater(const ZlibStreamInflater&) = delete;
  ZlibStreamInflater& operator=(const ZlibStreamInflater&) = delete;

  // Takes one WebSocket message's bytes. `payload`: payload() holds the next JSON payload.
  Result feed(std::string_view compressed);
  // Valid until the next feed(); followed by `padding` readable bytes.
  std::string_view payload() const noexcept { return {out_.get(), out_size_}; }
  const std::string& error() const noexcept { return error_; }
  // A new connection gets a new deflate context.
  void reset();

 private:
  Result inflate_all(const unsigned char* data, std::size_t size);
  void grow(std::size_t at_least);

  std::unique_ptr<inflate_state> state_;
  bool failed_ = false;  // a corrupt stream stays broken until reset(), as with zlib
  std::string pending_;  // compressed bytes of a payload split across messages
  std::unique_ptr<char[]> out_;
  std::size_t out_capacity_ = 0;  // excluding padding
  std::size_t out_size_ = 0;
  std::string error_;
  unsigned header_left_ = 2;       // zlib header bytes still to skip (see reset())
  unsigned char header_[2] = {0, 0};
};

}  // namespace megane::gateway
