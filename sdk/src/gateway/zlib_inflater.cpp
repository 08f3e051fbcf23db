#include "zlib_inflater.hpp"

#include <zlib.h>

#include <cstring>

namespace megane::gateway {
namespace {

constexpr unsigned char sync_flush_suffix[4] = {0x00, 0x00, 0xff, 0xff};

bool ends_with_suffix(std::string_view bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data() + bytes.size() - 4, sync_flush_suffix, 4) == 0;
}

}  // namespace

ZlibStreamInflater::ZlibStreamInflater() : zs_(std::make_unique<z_stream_s>()) {
  grow(16 * 1024);
  reset();
}

ZlibStreamInflater::~ZlibStreamInflater() {
  if (initialised_) inflateEnd(zs_.get());
}

void ZlibStreamInflater::reset() {
  if (initialised_) inflateEnd(zs_.get());
  *zs_ = z_stream_s{};
  // Raw inflate after skipping the 2-byte zlib header by hand: a zlib-stream never ends, so
  // its Adler-32 trailer never comes, and computing the checksum anyway cost ~15 % of the
  // ingest CPU (bench/gateway_ingest.sh).
  initialised_ = inflateInit2(zs_.get(), -15) == Z_OK;
  header_left_ = 2;
  if (!initialised_) error_ = "inflateInit failed";
  pending_.clear();
  out_size_ = 0;
}

void ZlibStreamInflater::grow(std::size_t at_least) {
  std::size_t capacity = out_capacity_ == 0 ? at_least : out_capacity_;
  while (capacity < at_least) capacity *= 2;
  if (capacity == out_capacity_) return;
  auto bigger = std::make_unique<char[]>(capacity + padding);
  if (out_size_ > 0) std::memcpy(bigger.get(), out_.get(), out_size_);
  std::memset(bigger.get() + capacity, 0, padding);
  out_ = std::move(bigger);
  out_capacity_ = capacity;
}

ZlibStreamInflater::Result ZlibStreamInflater::feed(std::string_view compressed) {
  if (!initialised_) return Result::error;
  if (pending_.empty() && ends_with_suffix(compressed)) {
    return inflate_all(reinterpret_cast<const unsigned char*>(compressed.data()), compressed.size());
  }
  // Split payload: keep the bytes until the suffix arrives (it may straddle two messages).
  pending_.append(compressed);
  if (!ends_with_suffix(pending_)) return Result::need_more;
  const Result r = inflate_all(reinterpret_cast<const unsigned char*>(pending_.data()), pending_.size());
  pending_.clear();
  return r;
}

ZlibStreamInflater::Result ZlibStreamInflater::inflate_all(const unsigned char* data, std::size_t size) {
  out_size_ = 0;
  if (header_left_ > 0) {
    while (header_left_ > 0 && size > 0) {
      header_[2 - header_left_] = *data++;
      --size;
      --header_left_;
    }
    if (header_left_ > 0) return Result::need_more;
    // RFC 1950: deflate (CM 8), a window of at most 32 KiB, check bits, no preset dictionary.
    const unsigned cmf = header_[0], flg = header_[1];
    if ((cmf & 0x0f) != 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 != 0 || (flg & 0x20) != 0) {
      error_ = "not a zlib stream (bad header)";
      return Result::error;
    }
  }
  zs_->next_in = const_cast<unsigned char*>(data);  // zlib's API is not const-correct
  zs_->avail_in = static_cast<uInt>(size);
  for (;;) {
    if (out_size_ == out_capacity_) grow(out_capacity_ * 2);
    zs_->next_out = reinterpret_cast<unsigned char*>(out_.get() + out_size_);
    zs_->avail_out = static_cast<uInt>(out_capacity_ - out_size_);
    const int rc = inflate(zs_.get(), Z_SYNC_FLUSH);
    out_size_ = out_capacity_ - zs_->avail_out;
    if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && zs_->avail_in == 0 && zs_->avail_out > 0)) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error_ = zs_->msg != nullptr ? zs_->msg : "inflate failed";
      return Result::error;
    }
    if (zs_->avail_in == 0 && zs_->avail_out > 0) break;  // all input used, output flushed
  }
  return Result::payload;
}

}  // namespace megane::gateway
