#include "zlib_inflater.hpp"

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace megane::gateway {
namespace {

constexpr unsigned char sync_flush_suffix[4] = {0x00, 0x00, 0xff, 0xff};

bool ends_with_suffix(std::string_view bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data() + bytes.size() - 4, sync_flush_suffix, 4) == 0;
}

const char* isal_error(int rc) noexcept {
  switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    default: return "inflate failed";
  }
}

}  // namespace

ZlibStreamInflater::ZlibStreamInflater(std::size_t large_payload)
    : large_payload_(large_payload),
      zs_(std::make_unique<z_stream_s>()),
      isal_(std::make_unique<inflate_state>()),
      ring_(std::make_unique<char[]>(window)) {
  *zs_ = z_stream_s{};
  // Raw inflate after skipping the 2-byte zlib header by hand: a zlib-stream never ends, so
  // its Adler-32 trailer never comes, and computing the checksum anyway cost ~15 % of the
  // ingest CPU (bench/gateway_ingest.sh).
  zlib_ready_ = inflateInit2(zs_.get(), -15) == Z_OK;
  isal_inflate_init(isal_.get());
  isal_->crc_flag = ISAL_DEFLATE;  // raw deflate, as above
  isal_->hist_bits = 0;            // the full 32 KiB window
  grow(16 * 1024);
  reset();
}

ZlibStreamInflater::~ZlibStreamInflater() {
  if (zlib_ready_) inflateEnd(zs_.get());
}

void ZlibStreamInflater::reset() {
  failed_ = !zlib_ready_;
  error_ = zlib_ready_ ? "" : "inflateInit failed";
  if (zlib_ready_) inflateReset(zs_.get());
  isal_inflate_reset(isal_.get());
  engine_ = Engine::zlib;
  ring_end_ = ring_size_ = 0;
  header_left_ = 2;
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
  if (failed_) return Result::error;
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
      failed_ = true;
      error_ = "not a zlib stream (bad header)";
      return Result::error;
    }
  }
  const Engine engine = size >= large_payload_ ? Engine::isal : Engine::zlib;
  bool ok = engine == engine_ || switch_to(engine);
  if (ok) {
    if (engine == Engine::isal) {
      isal_->next_in = const_cast<unsigned char*>(data);  // neither API is const-correct
      isal_->avail_in = static_cast<std::uint32_t>(size);
      ok = inflate_isal();
    } else {
      zs_->next_in = const_cast<unsigned char*>(data);
      zs_->avail_in = static_cast<uInt>(size);
      ok = inflate_zlib();
    }
  }
  if (!ok) {
    failed_ = true;
    return Result::error;
  }
  remember(out_.get(), out_size_);
  return Result::payload;
}

bool ZlibStreamInflater::inflate_zlib() {
  for (;;) {
    if (out_size_ == out_capacity_) grow(out_capacity_ * 2);
    zs_->next_out = reinterpret_cast<unsigned char*>(out_.get() + out_size_);
    zs_->avail_out = static_cast<uInt>(out_capacity_ - out_size_);
    const int rc = inflate(zs_.get(), Z_SYNC_FLUSH);
    out_size_ = out_capacity_ - zs_->avail_out;
    if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && zs_->avail_in == 0 && zs_->avail_out > 0)) return true;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error_ = zs_->msg != nullptr ? zs_->msg : "inflate failed";
      return false;
    }
    if (zs_->avail_in == 0 && zs_->avail_out > 0) return true;  // all input used, output flushed
  }
}

bool ZlibStreamInflater::inflate_isal() {
  for (;;) {
    if (out_size_ == out_capacity_) grow(out_capacity_ * 2);
    isal_->next_out = reinterpret_cast<std::uint8_t*>(out_.get() + out_size_);
    isal_->avail_out = static_cast<std::uint32_t>(out_capacity_ - out_size_);
    const int rc = isal_inflate(isal_.get());
    out_size_ = out_capacity_ - isal_->avail_out;
    if (rc != ISAL_DECOMP_OK) {
      error_ = isal_error(rc);
      return false;
    }
    // isal_inflate returns with room left in the output only once the input is used up (or
    // the stream has ended with a final block): everything it decoded is in out_ then.
    if (isal_->avail_out > 0) return true;
  }
}

bool ZlibStreamInflater::switch_to(Engine engine) {
  // The window, oldest byte first.
  char dictionary[window];
  const std::size_t start = (ring_end_ + window - ring_size_) % window;
  const std::size_t first = std::min(ring_size_, window - start);
  std::memcpy(dictionary, ring_.get() + start, first);
  std::memcpy(dictionary + first, ring_.get(), ring_size_ - first);
  auto* bytes = reinterpret_cast<unsigned char*>(dictionary);
  if (engine == Engine::isal) {
    isal_inflate_reset(isal_.get());
    if (ring_size_ > 0 && isal_inflate_set_dict(isal_.get(), bytes, static_cast<std::uint32_t>(ring_size_)) != COMP_OK) {
      error_ = "cannot hand the window to ISA-L";
      return false;
    }
  } else {
    // A raw inflater takes a dictionary at any block boundary; the reset empties its window
    // first, so nothing before the dictionary can be referred to.
    if (inflateReset(zs_.get()) != Z_OK ||
        (ring_size_ > 0 && inflateSetDictionary(zs_.get(), bytes, static_cast<uInt>(ring_size_)) != Z_OK)) {
      error_ = "cannot hand the window to zlib";
      return false;
    }
  }
  engine_ = engine;
  return true;
}

void ZlibStreamInflater::remember(const char* data, std::size_t size) {
  if (size >= window) {
    std::memcpy(ring_.get(), data + size - window, window);
    ring_end_ = 0;
    ring_size_ = window;
    return;
  }
  const std::size_t first = std::min(size, window - ring_end_);
  std::memcpy(ring_.get() + ring_end_, data, first);
  std::memcpy(ring_.get(), data + first, size - first);
  ring_end_ = (ring_end_ + size) % window;
  ring_size_ = std::min(window, ring_size_ + size);
}

}  // namespace megane::gateway
