// The one identify authority for every cluster of a bot. Discord lets a bot IDENTIFY one shard
// per rate-limit bucket (shard_id % max_concurrency) per window (5 s), and only
// session_start_limit.remaining times a day. The queue hands out permits under both rules and
// never lets the remaining budget fall below a reserve, so a crash loop cannot burn the day's
// identifies. Pure logic on time passed in: the daemon drives it from a timer, tests from a
// virtual clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace megane::daemon {

class IdentifyQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Grant {
    std::uint64_t ticket = 0;
    std::uint32_t shard_id = 0;
    std::uint64_t owner = 0;
  };

  // `margin` is added to every window after an IDENTIFY: Discord (or a busy simulator) sees
  // an IDENTIFY a little after the shard sent it, and not always equally late.
  IdentifyQueue(std::uint32_t max_concurrency, std::chrono::milliseconds window, std::uint32_t reserve,
                std::chrono::milliseconds margin = std::chrono::milliseconds(0));

  // What Discord said (GET /gateway/bot): identifies left, and when that count resets.
  void set_budget(std::uint32_t remaining, std::chrono::milliseconds reset_after, TimePoint now);

  // Asks for a permit for `shard_id` on behalf of `owner` (a cluster process). Returns the
  // ticket; the grant comes out of poll(). A shard already waiting is not queued twice: the
  // existing ticket is returned (its owner is updated).
  std::uint64_t enqueue(std::uint32_t shard_id, std::uint64_t owner);
  // Permits due at `now`, in shard order within each bucket.
  std::vector<Grant> poll(TimePoint now);
  // When poll() may next grant something (nullopt: nothing waits, or only the budget blocks
  // until a reset that set_budget has not announced).
  std::optional<TimePoint> next_wakeup(TimePoint now) const;

  // The owner died or gave up: its waiting tickets are dropped, its granted-but-unused
  // permits no longer count as in flight (they may have been used just now: their buckets
  // wait a window from `now`).
  void cancel_owner(std::uint64_t owner, TimePoint now);
  // The shard sent IDENTIFY at `now` (used = true) or did not after all (false: the identify
  // is given back to the budget). Either way the permit is no longer in flight.
  //
  // A bucket's window counts from the IDENTIFY, not from the grant: a shard connects after
  // its grant, and connections take different times, so two grants a window apart could
  // reach Discord closer than that. While a permit is in flight its bucket stays closed (at
  // most `hold_limit`, for a shard that never reports back).
  void complete(std::uint64_t ticket, bool used, TimePoint now);

  static constexpr std::chrono::seconds hold_limit{60};

  std::size_t waiting() const noexcept { return waiting_.size(); }
  std::uint32_t remaining() const noexcept { return remaining_; }
  std::uint32_t in_flight() const noexcept { return static_cast<std::uint32_t>(in_flight_.size()); }
  std::uint32_t reserve() const noexcept { return reserve_; }
  std::uint32_t max_concurrency() const noexcept { return max_concurrency_; }
  // Why shards are waiting, for status ("" when nothing waits or it is just the bucket window).
  std::string blocked_reason(TimePoint now) const;

 private:
  struct Waiting {
    std::uint32_t shard_id;
    std::uint64_t owner;
    std::uint64_t ticket;
  };

  bool budget_allows() const noexcept;
  std::uint32_t bucket(std::uint32_t shard_id) const noexcept { return shard_id % max_concurrency_; }

  std::uint32_t max_concurrency_;
  std::chrono::milliseconds window_;
  std::chrono::milliseconds margin_;
  std::uint32_t reserve_;
  std::uint32_t remaining_ = UINT32_MAX;  // unknown until set_budget: only the reserve rule is off
  std::optional<TimePoint> budget_resets_at_;
  std::map<std::uint32_t, Waiting> waiting_;             // by shard id: shard order per bucket
  std::map<std::uint32_t, TimePoint> bucket_free_at_;    // bucket -> earliest next grant
  struct InFlight {
    std::uint64_t owner;
    std::uint32_t bucket;
    TimePoint granted_at;
  };
  std::map<std::uint64_t, InFlight> in_flight_;          // ticket -> granted, not completed
  std::uint64_t next_ticket_ = 1;
};

// Discord's advice and our default: keep a day's worth of restarts for every shard, at least
// 5 % of the daily total.
std::uint32_t default_identify_reserve(std::uint32_t total_shards, std::uint32_t daily_total);

}  // namespace megane::daemon
