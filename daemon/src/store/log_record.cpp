#include "store/log_record.hpp"

#include <zlib.h>

namespace megane::daemon {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
  out.append(b, 4);
}

void put_i64(std::string& out, std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(value);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
  out.append(b, 8);
}

void put_bytes(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::int64_t get_i64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<std::int64_t>(v);
}

std::uint32_t checksum(std::string_view length_bytes, std::string_view body) {
  // zlib's crc32 takes uInt lengths; a body is at most max_log_record_bytes, which fits.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(length_bytes.data()),
                static_cast<uInt>(length_bytes.size()));
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  return static_cast<std::uint32_t>(crc);
}

// Reads the payload fields in order; any read past the end marks the whole parse as failed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  std::string_view bytes() {
    if (!take(4)) return {};
    const std::uint32_t n = get_u32(in_.data() + pos_ - 4);
    if (!take(n)) return {};
    return in_.substr(pos_ - n, n);
  }
  std::int64_t i64() { return take(8) ? get_i64(in_.data() + pos_ - 8) : 0; }
  bool done_ok() const { return ok_ && pos_ == in_.size(); }

 private:
  bool take(std::size_t n) {
    if (!ok_ || in_.size() - pos_ < n) return ok_ = false;
    pos_ += n;
    return true;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

std::size_t body_size(LogOp op, std::size_t key, std::size_t value) noexcept {
  std::size_t body = 1 + 4 + key;
  switch (op) {
    case LogOp::set: body += 4 + value + 8; break;
    case LogOp::del: break;
    case LogOp::expire: body += 8; break;
  }
  return body;
}

bool encode(LogOp op, std::string_view key, std::string_view value, std::int64_t at_ms,
            std::string& out) {
  const std::size_t body = body_size(op, key.size(), value.size());
  if (body > max_log_record_bytes) return false;
  const std::size_t start = out.size();
  put_u32(out, static_cast<std::uint32_t>(body));
  put_u32(out, 0);  // the CRC, patched below once the body is in place
  out.push_back(static_cast<char>(op));
  put_bytes(out, key);
  switch (op) {
    case LogOp::set:
      put_bytes(out, value);
      put_i64(out, at_ms);
      break;
    case LogOp::del: break;
    case LogOp::expire: put_i64(out, at_ms); break;
  }
  const std::string_view all(out.data() + start, log_record_header_bytes + body);
  const std::uint32_t crc = checksum(all.substr(0, 4), all.substr(log_record_header_bytes));
  for (std::size_t i = 0; i < 4; ++i) out[start + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xffu);
  return true;
}

}  // namespace

LogRecord LogRecord::make_set(std::string_view key, std::string_view value, UnixMs expire_at_ms) {
  return LogRecord{LogOp::set, std::string(key), std::string(value), expire_at_ms};
}
LogRecord LogRecord::make_del(std::string_view key) {
  return LogRecord{LogOp::del, std::string(key), {}, 0};
}
LogRecord LogRecord::make_expire(std::string_view key, UnixMs at_ms) {
  return LogRecord{LogOp::expire, std::string(key), {}, at_ms};
}

std::size_t encoded_size(const LogRecord& r) noexcept {
  return body_size(r.op, r.key.size(), r.value.size()) + log_record_header_bytes;
}

bool encode_record(const LogRecord& r, std::string& out) {
  return encode(r.op, r.key, r.value, r.at_ms, out);
}

bool encode_set(std::string_view key, std::string_view value, UnixMs expire_at_ms, std::string& out) {
  return encode(LogOp::set, key, value, expire_at_ms, out);
}

DecodeStatus decode_record(std::string_view in, LogRecord& out, std::size_t& consumed) {
  consumed = 0;
  if (in.size() < log_record_header_bytes) return DecodeStatus::incomplete;
  const std::uint32_t length = get_u32(in.data());
  if (length == 0 || length > max_log_record_bytes) return DecodeStatus::bad_length;
  if (in.size() - log_record_header_bytes < length) return DecodeStatus::incomplete;
  consumed = log_record_header_bytes + length;
  const std::string_view body = in.substr(log_record_header_bytes, length);
  if (checksum(in.substr(0, 4), body) != get_u32(in.data() + 4)) return DecodeStatus::bad_checksum;

  Reader reader(body.substr(1));
  LogRecord r;
  switch (static_cast<LogOp>(body[0])) {
    case LogOp::set:
      r.op = LogOp::set;
      r.key = reader.bytes();
      r.value = reader.bytes();
      r.at_ms = reader.i64();
      break;
    case LogOp::del:
      r.op = LogOp::del;
      r.key = reader.bytes();
      break;
    case LogOp::expire:
      r.op = LogOp::expire;
      r.key = reader.bytes();
      r.at_ms = reader.i64();
      break;
    default: return DecodeStatus::bad_payload;
  }
  if (!reader.done_ok()) return DecodeStatus::bad_payload;
  out = std::move(r);
  return DecodeStatus::ok;
}

std::string_view to_string(DecodeStatus status) noexcept {
  switch (status) {
    case DecodeStatus::ok: return "ok";
    case DecodeStatus::incomplete: return "incomplete record";
    case DecodeStatus::bad_length: return "bad record length";
    case DecodeStatus::bad_checksum: return "checksum mismatch";
    case DecodeStatus::bad_payload: return "malformed payload";
  }
  return "unknown";
}

}  // namespace megane::daemon
