// A cluster's cache on disk between two processes of the same cluster (docs/sdk.md#cache).
// After a RESUME Discord replays only the events a shard missed, no GUILD_CREATEs, so a
// restarted process would start with an empty cache. The stopping process writes what it
// cached for its shards, stamped with each shard's session and final seq; the next process
// applies it before its shards RESUME from exactly that seq, and the replayed events bring it
// current.
//
// The file is JSON Lines: a header line, then one gateway dispatch per line as Discord would
// send it, so the cache reads it with the code that reads the gateway:
//   {"megane_cache_snapshot":1,"cluster":1,"total_shards":4,"written_at":"...",
//    "shards":[{"shard":2,"session":"<fingerprint>","seq":118}, ...],"guilds":20}
//   {"t":"READY","d":{"user":{...the bot...},"guilds":[]}}
//   {"t":"GUILD_CREATE","d":{...a guild with roles, channels, members and their users...}}
//   {"t":"GUILD_CREATE","d":{"id":"...","unavailable":true}}
// The session id itself is not written (it is half of a RESUME credential), only a
// fingerprint of it that can be compared.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <megane/sdk/cache.hpp>

namespace megane::cache {

inline constexpr std::uint32_t snapshot_version = 1;

struct SnapshotShard {
  std::uint32_t shard_id = 0;
  std::uint64_t session = 0;  // session_fingerprint(session_id)
  std::uint64_t seq = 0;      // the last dispatch the cache has applied
};

struct SnapshotHeader {
  std::uint32_t cluster_id = 0;
  std::uint32_t total_shards = 0;
  std::vector<SnapshotShard> shards;  // the guilds of these shards are in the file
};

// FNV-1a: enough to tell two session ids apart, says nothing about the id.
std::uint64_t session_fingerprint(std::string_view session_id) noexcept;

// The shard a guild belongs to.
inline std::uint32_t shard_of(std::uint64_t guild_id, std::uint32_t total_shards) noexcept {
  return total_shards == 0 ? 0 : static_cast<std::uint32_t>((guild_id >> 22) % total_shards);
}

struct SnapshotWritten {
  bool ok = false;
  std::string error;  // when not ok; never holds secrets
  std::uint64_t bytes = 0;
  std::size_t guilds = 0;
};

// Writes the guilds of header.shards (and the bot's own user) to `file`: a temporary file in
// the same directory (mode 0600), fsynced, then renamed over `file`, so a reader finds the
// old file, the new one or none, never half of one. Gives up (and leaves no file) past
// `max_bytes` or `deadline`.
SnapshotWritten write_snapshot(const Cache& cache, const SnapshotHeader& header, const std::filesystem::path& file,
                               std::uint64_t max_bytes, std::chrono::steady_clock::time_point deadline);

struct SnapshotLoaded {
  enum class Outcome : std::uint8_t {
    absent = 0,    // no file
    mismatch = 1,  // a readable snapshot, but of no shard `accept` took
    loaded = 2,    // `shards` were applied to the cache
    failed = 3,    // unreadable, too large, corrupt: the cache must be discarded
  };
  Outcome outcome = Outcome::absent;
  std::string detail;                 // why mismatch or failed
  std::vector<std::uint32_t> shards;  // applied
  std::size_t guilds = 0;             // applied
  std::uint64_t bytes = 0;
};

// Applies the snapshot at `file` to `cache` (meant to be empty): the bot's user, then the
// guilds of the header's shards that `accept` takes. A snapshot of another shard total is a
// mismatch. After `failed` the cache holds part of the file: throw it away. Never throws.
SnapshotLoaded load_snapshot(Cache& cache, const std::filesystem::path& file, std::uint32_t total_shards,
                             const std::function<bool(const SnapshotShard&)>& accept, std::uint64_t max_bytes);

}  // namespace megane::cache
