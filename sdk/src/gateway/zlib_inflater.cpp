#include "zlib_inflater.hpp"

#include <isa-l/igzip_lib.h>

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
    case ISAL_NEED_DICT: return "a preset dictionary is required";
    default: return "inflate failed";
  }
}

}  // namespace

ZlibStreamInflater::ZlibStreamInflater() : state_(std::make_unique<inflate_state>()) {
  grow(16 * 1024);
  reset();
}

ZlibStreamInflater::~ZlibStreamInflater() = default;

void ZlibStreamInflater::reset() {
  // Raw deflate after skipping the 2-byte zlib header by hand: a zlib-stream never ends, so
  // its Adler-32 trailer never comes, and computing the checksum anyway cost ~15 % of the
  // ingest CPU (bench/gateway_ingest.sh). ISA-L keeps the last 32 KiB of output (the window
  // later payloads refer back to) in its own state, so the output buffer can be reused.
  isal_inflate_init(state_.get());
  state_->crc_flag = ISAL_DEFLATE;
  state_->hist_bits = 0;  // the full 32 KiB window
  failed_ = false;
  error_.clear();
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
  state_->next_in = const_cast<unsigned char*>(data);  // ISA-L's API is not const-correct
  state_->avail_in = static_cast<std::uint32_t>(size);
  for (;;) {
    if (out_size_ == out_capacity_) grow(out_capacity_ * 2);
    state_->next_out = reinterpret_cast<std::uint8_t*>(out_.get() + out_size_);
    state_->avail_out = static_cast<std::uint32_t>(out_capacity_ - out_size_);
    const int rc = isal_inflate(state_.get());
    out_size_ = out_capacity_ - state_->avail_out;
    if (rc != ISAL_DECOMP_OK) {
      failed_ = true;
      error_ = isal_error(rc);
      return Result::error;
    }
    // isal_inflate returns with room left in the output only once the input is used up (or
    // the stream has ended with a final block): everything it decoded is in out_ then.
    if (state_->avail_out > 0) break;
  }
  return Result::payload;
}

}  // namespace megane::gateway
