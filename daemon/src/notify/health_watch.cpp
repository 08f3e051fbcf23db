#include "notify/health_watch.hpp"

#include <map>
#include <string>

#include <fmt/format.h>

namespace megane::daemon {

void ShardDownWatch::observe(std::uint32_t shard, std::uint32_t cluster, bool up, Clock::time_point now) {
  if (shard >= shards_.size()) shards_.resize(shard + 1);
  Shard& s = shards_[shard];
  s.cluster = cluster;
  if (up) {
    if (s.reported) {
      s.recovered = true;
      s.outage = s.down_since ? now - *s.down_since : Clock::duration{};
    }
    s.seen_up = true;
    s.down_since.reset();
    s.reported = false;
    return;
  }
  if (s.seen_up && !s.down_since) s.down_since = now;
}

std::string shard_ranges(const std::vector<std::uint32_t>& sorted) {
  std::string out;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += j == i ? std::to_string(sorted[i]) : fmt::format("{}-{}", sorted[i], sorted[j]);
    i = j + 1;
  }
  return out;
}

std::vector<Notice> ShardDownWatch::collect(std::chrono::milliseconds threshold, Clock::time_point now) {
  std::map<std::uint32_t, std::vector<std::uint32_t>> down;  // cluster -> shards
  std::map<std::uint32_t, std::pair<std::vector<std::uint32_t>, Clock::duration>> back;
  for (std::uint32_t id = 0; id < shards_.size(); ++id) {
    Shard& s = shards_[id];
    if (s.down_since && !s.reported && now - *s.down_since > threshold) {
      s.reported = true;
      down[s.cluster].push_back(id);
    }
    if (s.recovered) {
      s.recovered = false;
      auto& [ids, longest] = back[s.cluster];
      ids.push_back(id);
      longest = std::max(longest, s.outage);
    }
  }
  std::vector<Notice> out;
  const double secs = static_cast<double>(threshold.count()) / 1000.0;
  for (const auto& [cluster, ids] : down) {
    out.push_back({NoticeKind::shard_down, fmt::format("cluster {}: shard{} {} down for more than {:g} s", cluster,
                                                       ids.size() == 1 ? "" : "s", shard_ranges(ids), secs)});
  }
  for (const auto& [cluster, entry] : back) {
    const auto& [ids, longest] = entry;
    out.push_back({NoticeKind::shard_down,
                   fmt::format("cluster {}: shard{} {} up again (down {} s)", cluster, ids.size() == 1 ? "" : "s",
                               shard_ranges(ids), std::chrono::duration_cast<std::chrono::seconds>(longest).count())});
  }
  return out;
}

std::optional<Notice> BudgetWatch::observe(std::uint32_t remaining, std::uint32_t total, std::uint32_t threshold) {
  if (remaining >= threshold) {
    low_ = false;
    return std::nullopt;
  }
  if (low_) return std::nullopt;
  low_ = true;
  return Notice{NoticeKind::identify_budget_low,
                fmt::format("identify budget low: {} of {} identifies left until the daily reset (notice below {})",
                            remaining, total, threshold)};
}

}  // namespace megane::daemon
