// zlib-stream transport compression: one inflate context for the whole connection; a payload
// is complete when the compressed bytes received so far end with 00 00 ff ff (Z_SYNC_FLUSH),
// which may take several WebSocket messages. The output keeps `padding` spare bytes after the
// payload so simdjson can parse it in place.
//
// Two inflaters share the stream, chosen per payload by its compressed size. Large payloads
// (GUILD_CREATE, member chunks) go to ISA-L's igzip (libisal), ~2x zlib's speed per byte: on
// fakecord's 2,500 GUILD_CREATEs (176 MB of JSON) ~0.13 s of CPU instead of zlib's ~0.27 s.
// Small ones (MESSAGE_CREATE and most other dispatches) go to zlib: igzip moves its 32 KiB
// window through an internal buffer on every call, which made 200,000 payloads of ~900 bytes
// take 1.7x zlib's time. A payload ends on a byte-aligned block boundary (the sync flush), so
// the other inflater can take over there given the last 32 KiB of output as its dictionary,
// which this class keeps in a ring (docs/benchmarks.md, cache section).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;
struct inflate_state;  // ISA-L's (isa-l/igzip_lib.h)

namespace megane::gateway {

class ZlibStreamInflater {
 public:
  static constexpr std::size_t padding = 64;  // >= SIMDJSON_PADDING
  // Payloads of at least this many compressed bytes go to ISA-L.
  static constexpr std::size_t default_large_payload = 4096;

  enum class Result { need_more, payload, error };

  explicit ZlibStreamInflater(std::size_t large_payload = default_large_payload);
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
  enum class Engine { zlib, isal };
  static constexpr std::size_t window = 32768;  // deflate's largest back-reference

  Result inflate_all(const unsigned char* data, std::size_t size);
  bool inflate_zlib();
  bool inflate_isal();
  // Hands the window to `engine`, which takes the stream from the next payload on.
  bool switch_to(Engine engine);
  void remember(const char* data, std::size_t size);
  void grow(std::size_t at_least);

  std::size_t large_payload_;
  std::unique_ptr<z_stream_s> zs_;
  std::unique_ptr<inflate_state> isal_;
  bool zlib_ready_ = false;
  bool failed_ = false;  // a corrupt stream stays broken until reset(), as with zlib
  Engine engine_ = Engine::zlib;
  std::string pending_;  // compressed bytes of a payload split across messages
  std::unique_ptr<char[]> out_;
  std::size_t out_capacity_ = 0;  // excluding padding
  std::size_t out_size_ = 0;
  // The last `window` bytes of output, as a ring: what a switch hands over as the dictionary.
  std::unique_ptr<char[]> ring_;
  std::size_t ring_end_ = 0, ring_size_ = 0;
  std::string error_;
  unsigned header_left_ = 2;       // zlib header bytes still to skip (see reset())
  unsigned char header_[2] = {0, 0};
};

}  // namespace megane::gateway
