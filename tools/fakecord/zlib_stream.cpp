#include "fakecord/zlib_stream.hpp"

#include <algorithm>
#include <stdexcept>

#include <zlib.h>

#include "fakecord/fixed_deflate.hpp"

namespace fakecord {

namespace {

constexpr std::size_t window = 32768;

}  // namespace

ZlibStream::ZlibStream(int level) : zs_(std::make_unique<z_stream_s>()), level_(level) {
  *zs_ = z_stream_s{};
  // Raw deflate behind a hand-written zlib header: the stream is never finished, so the adler32
  // trailer is never sent. Raw mode saves computing it and lets hand-written blocks and zlib's
  // share the stream (deflateSetDictionary works between blocks only in raw mode).
  if (deflateInit2(zs_.get(), level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
}

ZlibStream::~ZlibStream() { deflateEnd(zs_.get()); }

void ZlibStream::remember(std::string_view text) {
  position_ += text.size();
  history_.append(text);
  if (history_.size() > 4 * window) history_.erase(0, history_.size() - window);
}

void ZlibStream::sync_zlib_history() {
  // zlib has not seen what was written by hand: hand it over as a dictionary so its matches use
  // the same history as the client's inflater. Less than a window is appended to zlib's window;
  // a full window replaces it.
  if (unseen_by_zlib_ == 0) return;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(unseen_by_zlib_, window));
  const char* tail = history_.data() + history_.size() - n;
  if (deflateSetDictionary(zs_.get(), reinterpret_cast<const Bytef*>(tail), static_cast<uInt>(n)) != Z_OK) {
    throw std::runtime_error("deflateSetDictionary failed");
  }
  unseen_by_zlib_ = 0;
}

void ZlibStream::compress(std::string_view in, std::string& out) {
  if (header_pending_) {
    out.append("\x78\x9c", 2);  // CMF: deflate, 32 KiB window; FLG: default level, check bits
    header_pending_ = false;
  }
  sync_zlib_history();
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
  remember(in);
}

void ZlibStream::compress_pieces(const std::vector<Piece>& pieces, std::string& out) {
  if (!carry_.empty()) {
    // zlib holds output of its own (a level change): let it finish through the ordinary path.
    std::string joined;
    for (const Piece& p : pieces) joined.append(p.text);
    return compress(joined, out);
  }
  if (header_pending_) {
    out.append("\x78\x9c", 2);
    header_pending_ = false;
  }
  FixedDeflate block(out);
  for (const Piece& p : pieces) {
    const std::uint64_t distance = p.seen_at == no_position ? 0 : position_ - p.seen_at;
    if (p.text.size() >= 3 && distance > 0 && distance <= window && p.seen_at < position_) {
      block.copy(p.text.size(), static_cast<std::size_t>(distance));
    } else {
      block.literals(p.text);
    }
    remember(p.text);
    unseen_by_zlib_ += p.text.size();
  }
  block.finish_sync_flush();
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
  if (rc == Z_OK) level_ = level;  // Z_BUF_ERROR: unchanged, try again next time
}

}  // namespace fakecord
