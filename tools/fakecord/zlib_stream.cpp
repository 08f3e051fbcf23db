#include "fakecord/zlib_stream.hpp"

#include <stdexcept>

#include <zlib.h>

namespace fakecord {

ZlibStream::ZlibStream(int level) : zs_(std::make_unique<z_stream_s>()), level_(level) {
  *zs_ = z_stream_s{};
  // Raw deflate behind a hand-written zlib header: the stream is never finished, so the adler32
  // trailer is never sent, and raw mode saves computing it (~8% of a burst's CPU). The bytes are
  // exactly what a zlib-format deflate would send before Z_FINISH.
  if (deflateInit2(zs_.get(), level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  carry_.assign("\x78\x9c", 2);  // CMF: deflate, 32 KiB window; FLG: default level, check bits
}

ZlibStream::~ZlibStream() { deflateEnd(zs_.get()); }

void ZlibStream::compress(std::string_view in, std::string& out) {
  out.append(carry_);
  carry_.clear();
  zs_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs_->avail_in = static_cast<uInt>(in.size());
  // With Z_SYNC_FLUSH, deflate is done once it leaves output space unused.
  std::size_t chunk = in.size() / 2 + 64;
  for (;;) {
    const std::size_t at = out.size();
    out.resize(at + chunk);
    zs_->next_out = reinterpret_cast<Bytef*>(out.data() + at);
    zs_->avail_out = static_cast<uInt>(chunk);
    const int rc = deflate(zs_.get(), Z_SYNC_FLUSH);
    const std::size_t left = zs_->avail_out;
    out.resize(at + chunk - left);
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("deflate failed");
    if (left != 0) break;
    chunk *= 2;
  }
}

void ZlibStream::set_level(int level) {
  if (level == level_) return;
  // deflateParams may flush a block for the old level; keep those bytes for the next message.
  char buf[256];
  zs_->next_in = nullptr;
  zs_->avail_in = 0;
  zs_->next_out = reinterpret_cast<Bytef*>(buf);
  zs_->avail_out = sizeof buf;
  const int rc = deflateParams(zs_.get(), level, Z_DEFAULT_STRATEGY);
  carry_.append(buf, sizeof buf - zs_->avail_out);
  if (rc == Z_OK) level_ = level;  // Z_BUF_ERROR: level unchanged, try again next time
}

}  // namespace fakecord
