// Watches meganed's events during a chaos run and measures, for every cluster process spawned,
// how long each of its shards took to report READY (or RESUMED: the SDK reports both as state
// "ready") after the spawn. Times are meganed's own event stamps (unix_ms), so the measure is
// from the spawn to meganed learning the shard is ready, whatever the test thread is doing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace megane::test {

class ShardReadyRecorder {
 public:
  // `shards_of`: cluster id -> its shard ids (from the plan).
  ShardReadyRecorder(const fs::path& socket, std::map<std::uint32_t, std::vector<std::uint32_t>> shards_of);
  ~ShardReadyRecorder();
  bool subscribed() const { return subscribed_.load(); }
  void stop();

  struct Spawn {
    std::uint32_t cluster = 0;
    std::uint64_t generation = 0;
    std::int64_t spawned_ms = 0;
    std::optional<std::int64_t> exited_ms;          // killed (or exited) at
    std::map<std::uint32_t, std::int64_t> ready_ms;  // shard -> first ready of this process
    bool all_ready(std::size_t shard_count) const { return ready_ms.size() == shard_count; }
    // From the spawn to the last of its shards ready; nullopt unless all became ready.
    std::optional<std::int64_t> all_ready_after(std::size_t shard_count) const;
  };
  // After stop(): every spawn seen, in order.
  std::vector<Spawn> spawns() const;
  std::size_t shard_count(std::uint32_t cluster) const { return shards_of_.at(cluster).size(); }

 private:
  void run(fs::path socket);

  std::map<std::uint32_t, std::vector<std::uint32_t>> shards_of_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> subscribed_{false};
  mutable std::mutex mutex_;
  std::vector<Spawn> spawns_;
  std::thread thread_;
};

}  // namespace megane::test
