// One zlib deflate context for the life of a gateway connection (Discord's zlib-stream): every
// message is compressed with Z_SYNC_FLUSH so it ends with 00 00 ff ff and the client's single
// inflate context can decode it on its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;

namespace fakecord {

class ZlibStream {
 public:
  explicit ZlibStream(int level);
  ~ZlibStream();
  ZlibStream(const ZlibStream&) = delete;
  ZlibStream& operator=(const ZlibStream&) = delete;

  // Appends the compressed message to out; the appended bytes end with 00 00 ff ff.
  void compress(std::string_view in, std::string& out);
  // Changes the level for later messages (bursts use a cheap one). The stream stays one stream.
  void set_level(int level);
  int level() const noexcept { return level_; }

 private:
  std::unique_ptr<z_stream_s> zs_;
  int level_;
  std::string carry_;  // bytes for the next message: the zlib header, or deflateParams output
};

}  // namespace fakecord
