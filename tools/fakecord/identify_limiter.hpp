// Discord's two identify limits. Concurrency: shards share rate limit buckets
// (shard_id % max_concurrency) and each bucket admits one IDENTIFY per window (5 s); a too-early
// IDENTIFY gets op 9. Daily budget: every accepted IDENTIFY spends one session start.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "fakecord/clock.hpp"

namespace fakecord {

class IdentifyLimiter {
 public:
  IdentifyLimiter(std::uint32_t max_concurrency, milliseconds window);

  std::uint32_t max_concurrency() const noexcept { return static_cast<std::uint32_t>(last_.size()); }
  std::uint32_t bucket(std::uint32_t shard_id) const noexcept { return shard_id % max_concurrency(); }
  bool allowed(std::uint32_t shard_id, TimePoint now) const;
  void record(std::uint32_t shard_id, TimePoint now);
  // allowed() then record(); false leaves the bucket untouched.
  bool try_acquire(std::uint32_t shard_id, TimePoint now);
  // How long until this shard's bucket admits an IDENTIFY (0 when it does now).
  milliseconds wait_time(std::uint32_t shard_id, TimePoint now) const;

 private:
  milliseconds window_;
  std::vector<std::optional<TimePoint>> last_;  // per bucket: last accepted IDENTIFY
};

class SessionBudget {
 public:
  SessionBudget(std::uint32_t total, std::uint32_t remaining, milliseconds reset_period, TimePoint start);

  // Spends one session start; false when none is left.
  bool try_take(TimePoint now);
  std::uint32_t total() const noexcept { return total_; }
  std::uint32_t remaining(TimePoint now);
  // Milliseconds until `remaining` resets to `total`.
  std::uint64_t reset_after_ms(TimePoint now);
  void set(std::uint32_t total, std::uint32_t remaining);

 private:
  void refresh(TimePoint now);

  std::uint32_t total_;
  std::uint32_t remaining_;
  milliseconds period_;
  TimePoint reset_at_;
};

}  // namespace fakecord
