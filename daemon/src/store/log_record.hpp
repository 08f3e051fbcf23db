// One effect on the store as it is written to the append-only log, and its byte codec.
//
// Records are effects, not commands: a SET records the value a key holds afterwards, an
// INCR records the resulting number as a Set, a DEL records that the key is gone. Replaying
// them is therefore idempotent and deterministic. Expiries are absolute unix milliseconds,
// so a reload after downtime drops keys that expired meanwhile.
//
// File layout (all integers little-endian):
//   file header   8 bytes  "MGNLOG" 0x00 <format version = 0x01>
//   record        u32 length   bytes after this 8-byte record header (op + payload), >= 1
//                 u32 crc      CRC-32 (zlib/IEEE) of the 4 length bytes followed by op+payload
//                 u8  op       1 = set, 2 = del, 3 = expire
//                 payload
//     set:    u32 key_len | key | u32 value_len | value | i64 expire_at_ms (0 = no expiry)
//     del:    u32 key_len | key
//     expire: u32 key_len | key | i64 at_ms (0 = remove the expiry)
// The payload must fill `length` exactly; anything else is a corrupt record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace megane::daemon {

// Unix time in milliseconds: the store's only notion of time, injected into every op.
using UnixMs = std::int64_t;

enum class LogOp : std::uint8_t { set = 1, del = 2, expire = 3 };

struct LogRecord {
  LogOp op = LogOp::set;
  std::string key;
  std::string value;    // set only
  std::int64_t at_ms = 0;  // set: expiry (0 = none); expire: new expiry (0 = persist)

  static LogRecord make_set(std::string_view key, std::string_view value, UnixMs expire_at_ms);
  static LogRecord make_del(std::string_view key);
  static LogRecord make_expire(std::string_view key, UnixMs at_ms);

  bool operator==(const LogRecord&) const = default;
};

inline constexpr std::string_view log_file_magic{"MGNLOG\0\x01", 8};
inline constexpr std::size_t log_record_header_bytes = 8;
// Upper bound of `length`. A larger length can only come from corruption; it keeps a flipped
// bit in a length field from being mistaken for a torn tail. The dispatcher must keep keys and
// values below this (the IPC frame limit, 16 MiB by default, already does).
inline constexpr std::uint32_t max_log_record_bytes = 512u << 20;

// Bytes the encoded record takes, header included.
std::size_t encoded_size(const LogRecord& record) noexcept;

// Appends the encoded record to `out`. False (and `out` unchanged) when it would exceed
// max_log_record_bytes.
bool encode_record(const LogRecord& record, std::string& out);
// The same for a Set record, without building a LogRecord (the rewrite encodes every key).
bool encode_set(std::string_view key, std::string_view value, UnixMs expire_at_ms, std::string& out);

enum class DecodeStatus : std::uint8_t {
  ok,
  incomplete,    // the input ends inside the header or the body
  bad_length,    // length is 0 or above max_log_record_bytes
  bad_checksum,  // the body is all there but its CRC does not match
  bad_payload,   // CRC matches but the payload does not parse (unknown op, sizes disagree)
};

// Decodes the record at the start of `in`. On ok, `consumed` is its total size; on
// bad_checksum and bad_payload it is the size the header claimed.
DecodeStatus decode_record(std::string_view in, LogRecord& out, std::size_t& consumed);

std::string_view to_string(DecodeStatus status) noexcept;

}  // namespace megane::daemon
