// The base class of a bot's cluster process. meganed runs one process per cluster; megane::run
// connects it to the daemon, constructs the worker, runs launch(), and calls shutdown() when
// the process must stop. Everything happens on one io_context, on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include <megane/sdk/cache.hpp>
#include <megane/sdk/gateway.hpp>
#include <megane/sdk/worker.hpp>

namespace megane {
namespace cache {
class MemberRequests;
}

// The contiguous shard range of one cluster: shards [first, first + count) of `total`.
struct ShardRange {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  std::uint32_t total = 0;

  std::uint32_t end() const noexcept { return first + count; }  // one past the last
  bool empty() const noexcept { return count == 0; }
  bool contains(std::uint32_t shard) const noexcept { return shard >= first && shard < end(); }
};

// What megane::run hands to a cluster worker's constructor. Pass it on to ClusterWorker
// unchanged.
struct ClusterContext : WorkerContext {
  std::uint32_t cluster_id = 0;
  ShardRange shards;
  std::chrono::milliseconds shard_silence_timeout{0};  // see Environment; 0 = off
  std::string cache_snapshot;                          // see Environment; empty = no snapshots
  std::uint64_t cache_snapshot_max_bytes = std::uint64_t{1} << 30;
};

class ClusterWorker : public Worker {
 public:
  explicit ClusterWorker(ClusterContext context);
  ~ClusterWorker() override;

  // Default: answers every command with the error "this cluster has no command handler".
  boost::asio::awaitable<CommandResult> handle_command(const CommandRequest& request) override;

  std::uint32_t cluster_id() const noexcept { return cluster_id_; }
  const ShardRange& shards() const noexcept { return shards_; }
  std::uint32_t first_shard() const noexcept { return shards_.first; }
  std::uint32_t shard_count() const noexcept { return shards_.count; }
  std::uint32_t total_shards() const noexcept { return shards_.total; }

  // Tells meganed this cluster is ready (all its shards are). The daemon counts the cluster
  // ready only from now on. Only the first call sends anything.
  void report_ready();

  // Connects every shard of this cluster to Discord's gateway with the settings meganed hands
  // over (token, URLs, intents; sessions of a previous process are RESUMEd) and completes when
  // all of them are READY. IDENTIFYs wait for meganed's permits. Throws std::runtime_error if
  // meganed has no gateway configured. A shard closed with a fatal code (4004, 4010-4014)
  // stops the process with megane::do_not_restart. Call report_ready() afterwards.
  boost::asio::awaitable<void> connect_gateway();
  // Dispatch handlers and shard states; handlers may be added before connect_gateway().
  Gateway& gateway() noexcept { return *gateway_; }

  // The guilds, channels, roles, members and users of this cluster's shards, kept current
  // from the gateway before the bot's own handlers run. See docs/sdk.md#cache.
  const Cache& cache() const noexcept { return *cache_; }
  // What the cache keeps (default: everything). Call before connect_gateway(), e.g. in the
  // constructor; later calls throw std::logic_error. A [cache] section in meganed's config
  // replaces these options at connect_gateway().
  void set_cache_options(CacheOptions options);
  // With CacheOptions::cache_all_members: called on the loop when every guild asked for so far
  // has all its members cached in this cluster (again after guilds join or shards
  // re-identify); the SDK reports it to meganed first, whose all_members_cached event
  // (Worker::all_clusters_members_cached) waits for every cluster. Default: logs.
  virtual void all_members_cached();

  // Answers other processes' fetches from this cluster's cache.
  std::optional<std::string> cached_json(proto::FetchKind kind, std::uint64_t id, bool include_members) const override;

  // Closes the gateway gracefully (sessions stay resumable, final seqs reported to meganed),
  // then writes the cache snapshot the next process of this cluster starts from.
  boost::asio::awaitable<void> close_sdk_connections(std::chrono::steady_clock::time_point deadline) override;
  // Every shard's state, latency, guilds and dispatch count, for meganed's statistics.
  void collect_sdk_stats(proto::WorkerStats& out) const override;

 private:
  // The [cache] section from meganed, when it has one, replaces the options set in code.
  boost::asio::awaitable<void> apply_configured_cache();
  // Tells meganed (once per process) that cache_all_members is complete on every shard.
  void report_members_cached();
  // The cache snapshot (cluster_snapshot.cpp): read before the shards RESUME, written at a
  // graceful stop after the gateway closed.
  void restore_cache_snapshot(const proto::GatewayConfig& config);
  void save_cache_snapshot(std::chrono::steady_clock::time_point deadline);
  // True when this process's cache holds everything of `shard`: it IDENTIFYed here, or it
  // has no earlier process's session to RESUME, or its guilds came from a snapshot of that
  // session.
  bool cache_complete(const ShardReport& shard) const;
  // A restored shard that IDENTIFYs after all (its RESUME failed): the snapshot's guilds that
  // READY no longer lists (left while no process was there) are dropped before READY applies.
  void drop_stale_snapshot_guilds(const Dispatch& ready);

  std::uint32_t cluster_id_;
  ShardRange shards_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<cache::MemberRequests> member_requests_;
  bool members_cached_reported_ = false;
  std::string snapshot_path_;
  std::uint64_t snapshot_max_bytes_;
  std::unordered_set<std::uint32_t> inherited_sessions_;  // shards meganed handed a session for
  std::unordered_set<std::uint32_t> restored_shards_;    // ... whose guilds the snapshot had
};

}  // namespace megane
