// The shard plan: how many clusters, which contiguous shard range and which CPUs each gets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace megane::daemon {

struct ClusterPlan {
  std::uint32_t id = 0;
  std::uint32_t first_shard = 0;
  std::uint32_t shard_count = 0;
  std::vector<int> cores;  // the CPUs this cluster is pinned to

  std::uint32_t last_shard() const noexcept { return first_shard + shard_count - 1; }
};

struct Plan {
  std::uint32_t total_shards = 0;
  std::vector<ClusterPlan> clusters;

  // One line per cluster, for the log.
  std::string describe() const;
};

// `clusters` nullopt = one per CPU in `cpus`. Clusters never outnumber shards. The remainder
// of shards / clusters goes one each to the first clusters. With at least as many clusters as
// CPUs each cluster gets one CPU round-robin; with fewer, the CPUs are dealt out so that every
// CPU is used (cluster i gets CPUs i, i+k, i+2k... for k clusters).
// Preconditions (checked by the config loader): total_shards >= 1, cpus not empty.
Plan make_plan(std::uint32_t total_shards, std::optional<std::uint32_t> clusters,
               const std::vector<int>& cpus);

}  // namespace megane::daemon
