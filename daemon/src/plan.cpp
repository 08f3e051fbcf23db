#include "plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cpu_set.hpp"

namespace megane::daemon {

Plan make_plan(std::uint32_t total_shards, std::optional<std::uint32_t> clusters,
               const std::vector<int>& cpus) {
  Plan plan;
  plan.total_shards = total_shards;
  const auto cpu_count = static_cast<std::uint32_t>(std::max<std::size_t>(cpus.size(), 1));
  std::uint32_t n = clusters.value_or(cpu_count);
  n = std::clamp<std::uint32_t>(n, 1, std::max<std::uint32_t>(total_shards, 1));

  const std::uint32_t base = total_shards / n;
  const std::uint32_t extra = total_shards % n;
  std::uint32_t next_shard = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    ClusterPlan c;
    c.id = i;
    c.first_shard = next_shard;
    c.shard_count = base + (i < extra ? 1 : 0);
    next_shard += c.shard_count;
    if (!cpus.empty()) {
      if (n >= cpus.size()) {
        c.cores.push_back(cpus[i % cpus.size()]);
      } else {
        for (std::size_t j = i; j < cpus.size(); j += n) c.cores.push_back(cpus[j]);
      }
    }
    plan.clusters.push_back(std::move(c));
  }
  return plan;
}

std::string Plan::describe() const {
  std::string out = fmt::format("{} shards over {} clusters", total_shards, clusters.size());
  for (const auto& c : clusters) {
    out += fmt::format("; cluster {}: shards {}-{} on CPU {}", c.id, c.first_shard, c.last_shard(),
                       format_cpu_list(c.cores));
  }
  return out;
}

}  // namespace megane::daemon
