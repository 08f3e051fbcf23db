// Start-up recovery: reads the append log synchronously (before the io_context runs) and
// replays it into the store.
//
// - A missing or empty file is an empty store.
// - A torn tail is what a crash in the middle of a write leaves: the last record is incomplete,
//   or fails its CRC and ends exactly at the end of the file, or the rest of the file is zero
//   bytes (blocks allocated but never written). The valid prefix is loaded, the file is
//   truncated to it and `warning` names the file and the offset.
// - A bad record followed by more data is corruption in the middle: `error` names the file and
//   the byte offset, the store is left empty and the daemon must refuse to start. An operator
//   decides (restore a backup, or truncate by hand and accept the loss).
// Limitation: a corrupted length field that points past the end of the file looks like a torn
// tail; lengths above max_log_record_bytes are always reported as corruption.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/log_record.hpp"

namespace megane::daemon {

class Store;

struct LogLoadResult {
  bool ok = true;
  std::string error;          // set when !ok
  std::string warning;        // set when a torn tail was cut off
  std::uint64_t records = 0;  // records replayed
  std::uint64_t size = 0;     // the log's valid size in bytes after recovery (0 = no file)
  std::uint64_t bad_offset = 0;  // where the torn tail or the corrupt record starts
  std::uint64_t expired = 0;     // keys dropped because they expired while the daemon was down
};

// Replays `path` into `store` (which should be empty), then drops keys expired at `now`.
LogLoadResult load_log(const std::string& path, Store& store, UnixMs now);

// What load_log does with the file's bytes once mapped, without the file: the same checks,
// store and result (messages name `path`), except that a torn tail is only reported (warning,
// bad_offset, size = the valid prefix), not cut off. For checks that need no file (fuzzing).
LogLoadResult replay_log(std::string_view data, const std::string& path, Store& store, UnixMs now);

}  // namespace megane::daemon
