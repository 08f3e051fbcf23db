// ClusterWorker's cache snapshot (cache/snapshot.hpp): written at a graceful stop, once the
// gateway is closed and the final seqs are known; read by the cluster's next process before
// its shards RESUME, and only for shards whose session and seq are exactly the ones meganed
// hands back. Anything else (no file, another session, a corrupt or oversized file) leaves
// the cache empty for those shards, and cached_json() keeps saying it cannot tell.
#include <megane/sdk/cluster_worker.hpp>

#include <algorithm>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cache/json_read.hpp"
#include "cache/snapshot.hpp"
#include "gateway/gateway_impl.hpp"

namespace megane {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Kept from the stop deadline for exiting after the snapshot.
constexpr auto exit_margin = std::chrono::milliseconds(100);

double megabytes(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::int64_t millis_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

void remove_quietly(const fs::path& file) {
  std::error_code ignored;
  fs::remove(file, ignored);
}

}  // namespace

bool ClusterWorker::cache_complete(const ShardReport& r) const {
  const std::uint32_t id = r.status.shard_id;
  return r.identifies != 0 || !inherited_sessions_.contains(id) || restored_shards_.contains(id);
}

void ClusterWorker::restore_cache_snapshot(const proto::GatewayConfig& config) {
  inherited_sessions_.clear();
  restored_shards_.clear();
  std::unordered_map<std::uint32_t, const proto::SessionInfo*> sessions;
  for (const proto::SessionInfo& s : config.sessions) {
    if (!shards_.contains(s.shard_id) || s.session_id.empty()) continue;
    inherited_sessions_.insert(s.shard_id);
    sessions.emplace(s.shard_id, &s);
  }
  if (snapshot_path_.empty()) return;
  const fs::path file(snapshot_path_);
  if (!cache_->options().enabled) {
    remove_quietly(file);
    return;
  }
  const auto accept = [&](const cache::SnapshotShard& s) {
    const auto it = sessions.find(s.shard_id);
    return it != sessions.end() && it->second->seq == s.seq &&
           cache::session_fingerprint(it->second->session_id) == s.session;
  };
  auto fresh = std::make_unique<Cache>(cache_->options());
  const auto start = Clock::now();
  const cache::SnapshotLoaded r = cache::load_snapshot(*fresh, file, shards_.total, accept, snapshot_max_bytes_);
  // Read once: what it held is in the cache now, or of no use to any later process (their
  // sessions move on from here).
  remove_quietly(file);
  using Outcome = cache::SnapshotLoaded::Outcome;
  switch (r.outcome) {
    case Outcome::absent:
      if (!sessions.empty()) {
        logger().info("no cache snapshot: {} shards RESUME with an empty cache (the last process did not stop gracefully)",
                      sessions.size());
      }
      return;
    case Outcome::mismatch:
      logger().info("cache snapshot not used: {}", r.detail);
      return;
    case Outcome::failed:
      logger().warn("cache snapshot {} not used ({}): starting with an empty cache", file.string(), r.detail);
      return;
    case Outcome::loaded:
      break;
  }
  cache_ = std::move(fresh);
  restored_shards_.insert(r.shards.begin(), r.shards.end());
  logger().info("cache restored from the snapshot: {} guilds of shards {} ({:.1f} MB) in {} ms", r.guilds,
                fmt::join(r.shards, ","), megabytes(r.bytes), millis_since(start));
}

void ClusterWorker::drop_stale_snapshot_guilds(const Dispatch& ready) {
  if (restored_shards_.erase(ready.shard_id) == 0) return;
  std::unordered_set<std::uint64_t> listed;
  simdjson::dom::array guilds;
  if (ready.data["guilds"].get(guilds) == simdjson::SUCCESS) {
    for (const simdjson::dom::element g : guilds) listed.insert(cache::snowflake(g["id"]));
  }
  std::vector<std::uint64_t> stale;
  cache_->for_each_guild([&](const CachedGuild& g) {
    if (cache::shard_of(g.id, shards_.total) == ready.shard_id && !listed.contains(g.id)) stale.push_back(g.id);
  });
  simdjson::dom::parser parser;
  for (const std::uint64_t id : stale) {
    // The bot's own removal from the guild, as Discord would have sent it.
    simdjson::dom::element removal;
    if (parser.parse(fmt::format(R"({{"id":"{}"}})", id)).get(removal) == simdjson::SUCCESS) {
      cache_->apply("GUILD_DELETE", removal);
    }
  }
  if (!stale.empty()) {
    logger().info("shard {} identified again: {} guilds of its cache snapshot are gone from READY, dropped", ready.shard_id,
                  stale.size());
  }
}

void ClusterWorker::save_cache_snapshot(Clock::time_point deadline) {
  if (snapshot_path_.empty() || !cache_->options().enabled) return;
  const fs::path file(snapshot_path_);
  cache::SnapshotHeader header;
  header.cluster_id = cluster_id_;
  header.total_shards = shards_.total;
  const std::vector<ShardReport> reports = gateway_->shards();
  const std::vector<proto::SessionInfo> sessions = gateway_->impl().sessions();
  for (std::size_t i = 0; i < reports.size() && i < sessions.size(); ++i) {
    // A shard without a session will IDENTIFY (and get every GUILD_CREATE); one whose cache
    // is incomplete must not pass for complete in the next process.
    if (sessions[i].session_id.empty() || !cache_complete(reports[i])) continue;
    header.shards.push_back(
        cache::SnapshotShard{sessions[i].shard_id, cache::session_fingerprint(sessions[i].session_id), sessions[i].seq});
  }
  remove_quietly(file);  // whatever happens next, an older snapshot is stale now
  if (header.shards.empty()) {
    logger().info("no cache snapshot written: no shard has both a resumable session and a complete cache");
    return;
  }
  const auto start = Clock::now();
  const cache::SnapshotWritten w = cache::write_snapshot(*cache_, header, file, snapshot_max_bytes_, deadline - exit_margin);
  if (!w.ok) {
    logger().warn("cache snapshot not written ({}): the next process starts with an empty cache", w.error);
    return;
  }
  logger().info("cache snapshot written: {} guilds of {} shards ({:.1f} MB) in {} ms", w.guilds, header.shards.size(),
                megabytes(w.bytes), millis_since(start));
}

}  // namespace megane
