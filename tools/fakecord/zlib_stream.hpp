// One deflate stream for the life of a gateway connection (Discord's zlib-stream): every message
// ends with a Z_SYNC_FLUSH (00 00 ff ff) so the client's single inflate context decodes it alone.
// Ordinary messages go through zlib; burst messages, which repeat text the client has just seen,
// can be written as back-references by hand (FixedDeflate), ~20x cheaper than zlib at level 1.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

  // A message given as pieces; a piece with seen_at set repeats the bytes at that stream position
  // (see position()) and is sent as a back-reference when still inside the 32 KiB window.
  struct Piece {
    std::string_view text;
    std::uint64_t seen_at = no_position;
  };
  static constexpr std::uint64_t no_position = UINT64_MAX;
  void compress_pieces(const std::vector<Piece>& pieces, std::string& out);

  // Uncompressed bytes sent so far: the position the next message starts at.
  std::uint64_t position() const noexcept { return position_; }
  // Changes the level for later compress() calls. The stream stays one stream.
  void set_level(int level);
  int level() const noexcept { return level_; }

 private:
  void remember(std::string_view text);
  void sync_zlib_history();

  std::unique_ptr<z_stream_s> zs_;
  int level_;
  std::string carry_;           // deflateParams output, sent first with the next message
  bool header_pending_ = true;  // the 2-byte zlib header opens the stream
  std::uint64_t position_ = 0;
  std::string history_;         // the newest >= 32 KiB of uncompressed stream
  std::uint64_t unseen_by_zlib_ = 0;  // bytes written by hand since zlib's last message
};

}  // namespace fakecord
