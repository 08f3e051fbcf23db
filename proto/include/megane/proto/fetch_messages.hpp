// Payloads of the fetch and cache range (0x04xx): fetching guilds, channels and users from the
// caches of other clusters, the [cache] policy handed to clusters, and "all members cached".
// The daemon reads only a fetch's routing fields (kind, ids) and forwards the request bytes to
// the clusters untouched; their answers travel back as BroadcastReply entries it never parses.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/frame.hpp>

namespace megane::proto {

enum class FetchKind : std::uint8_t {
  guild = 0,    // sent to the cluster owning each guild: (id >> 22) % total_shards
  channel = 1,  // sent to every cluster; the first hit wins
  user = 2,     // sent to every cluster; the first hit wins
};

// More ids in one fetch are refused (error `limit`): a batch answer must fit a frame.
inline constexpr std::uint32_t max_fetch_ids = 1000;

// fetch (any role -> daemon), forwarded unchanged as fetch_deliver (daemon -> cluster).
struct FetchRequest {
  FetchKind kind = FetchKind::user;
  bool include_members = false;  // guild: the members (and their users) too
  std::uint32_t timeout_ms = 0;  // 0 = the daemon's ipc.request_timeout
  std::vector<std::uint64_t> ids;
};

// The routing fields read in place: the daemon never copies the ids.
struct FetchRequestView {
  FetchKind kind = FetchKind::user;
  bool include_members = false;
  std::uint32_t timeout_ms = 0;
  std::uint32_t count = 0;
  ByteView ids;  // count x u64

  std::uint64_t id(std::uint32_t i) const noexcept;
};

// fetch_result (cluster -> daemon reply): what this cluster has of the requested ids, in
// request order. A cluster that has none answers an ErrorReply `not_found` instead.
struct FetchEntry {
  std::uint64_t id = 0;
  std::string json;  // Discord-shaped JSON of the cached entity
};

struct FetchEntries {
  std::vector<FetchEntry> entries;
};

// Which members a cluster's cache keeps (as megane::MemberCache).
enum class MemberPolicy : std::uint8_t { all = 0, own = 1, none = 2 };

// cache_config (daemon -> cluster reply): the [cache] section of the bot's config.
struct CacheConfig {
  bool enabled = true;
  bool channels = true;
  bool roles = true;
  MemberPolicy members = MemberPolicy::all;
  bool cache_all_members = false;
};

Bytes encode(const FetchRequest& m);
Bytes encode(const FetchEntries& m);
Bytes encode(const CacheConfig& m);
bool decode(ByteView in, FetchRequest& out) noexcept;
bool decode(ByteView in, FetchRequestView& out) noexcept;
bool decode(ByteView in, FetchEntries& out) noexcept;
bool decode(ByteView in, CacheConfig& out) noexcept;

std::string_view to_string(FetchKind kind) noexcept;

// What a fetch found for one id, merged from the per-cluster results of the daemon's reply.
enum class FetchStatus : std::uint8_t {
  found = 0,
  not_found = 1,  // every cluster asked answered, none has it
  failed = 2,     // none has it so far, but a cluster could not answer (see failure, message)
};

struct FetchOutcome {
  std::uint64_t id = 0;
  FetchStatus status = FetchStatus::not_found;
  std::uint32_t cluster_id = 0;                    // found: the cluster that answered
  std::string json;                                // found
  TargetStatus failure = TargetStatus::ok;         // failed: why (unavailable, exited, timeout...)
  std::string message;                             // failed: "cluster 1: ..." for people
};

// One outcome per requested id, in request order. An id is found when any cluster's entries
// hold it (the first such result in reply order wins), not_found when every result is a hit
// without it or not_found, failed otherwise. False when a result's data does not decode.
bool resolve_fetch(std::span<const std::uint64_t> ids, const BroadcastReply& reply,
                   std::vector<FetchOutcome>& out);

}  // namespace megane::proto
