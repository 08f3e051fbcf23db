#include "gateway/identify_queue.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace megane::daemon {

IdentifyQueue::IdentifyQueue(std::uint32_t max_concurrency, std::chrono::milliseconds window,
                             std::uint32_t reserve, std::chrono::milliseconds margin)
    : max_concurrency_(std::max<std::uint32_t>(max_concurrency, 1)), window_(window), margin_(margin), reserve_(reserve) {}

void IdentifyQueue::set_budget(std::uint32_t remaining, std::chrono::milliseconds reset_after, TimePoint now) {
  remaining_ = remaining;
  budget_resets_at_ = now + reset_after;
}

std::uint64_t IdentifyQueue::enqueue(std::uint32_t shard_id, std::uint64_t owner) {
  auto it = waiting_.find(shard_id);
  if (it != waiting_.end()) {
    it->second.owner = owner;
    return it->second.ticket;
  }
  const std::uint64_t ticket = next_ticket_++;
  waiting_.emplace(shard_id, Waiting{shard_id, owner, ticket});
  return ticket;
}

bool IdentifyQueue::budget_allows() const noexcept {
  // Identifies already granted count as spent until they are given back.
  const std::uint64_t spent = in_flight_.size();
  return remaining_ == UINT32_MAX || static_cast<std::uint64_t>(remaining_) >= spent + 1 + reserve_;
}

std::vector<IdentifyQueue::Grant> IdentifyQueue::poll(TimePoint now) {
  std::vector<Grant> out;
  if (budget_resets_at_ && now >= *budget_resets_at_ && remaining_ != UINT32_MAX) {
    // The daily window rolled over; the daemon refreshes the real figure from Discord, but
    // until then nothing is granted on a stale count below the reserve.
    budget_resets_at_.reset();
  }
  std::set<std::uint32_t> granted_buckets;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const std::uint32_t b = bucket(it->first);
    // Shard order within a bucket: only the lowest waiting shard of a bucket may go next.
    if (granted_buckets.count(b) != 0) {
      ++it;
      continue;
    }
    auto free = bucket_free_at_.find(b);
    const bool bucket_free = free == bucket_free_at_.end() || now >= free->second;
    if (!bucket_free || !budget_allows()) {
      granted_buckets.insert(b);  // blocks later shards of the same bucket too
      ++it;
      continue;
    }
    const Waiting w = it->second;
    it = waiting_.erase(it);
    bucket_free_at_[b] = now + std::max<Clock::duration>(window_, hold_limit);  // until complete()
    in_flight_[w.ticket] = InFlight{w.owner, b, now};
    granted_buckets.insert(b);
    out.push_back(Grant{w.ticket, w.shard_id, w.owner});
  }
  return out;
}

std::optional<IdentifyQueue::TimePoint> IdentifyQueue::next_wakeup(TimePoint now) const {
  if (waiting_.empty() || !budget_allows()) return std::nullopt;
  std::optional<TimePoint> soonest;
  for (const auto& [shard, w] : waiting_) {
    auto free = bucket_free_at_.find(bucket(shard));
    const TimePoint at = free == bucket_free_at_.end() ? now : std::max(now, free->second);
    if (!soonest || at < *soonest) soonest = at;
  }
  return soonest;
}

void IdentifyQueue::cancel_owner(std::uint64_t owner, TimePoint now) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second.owner == owner) it = waiting_.erase(it);
    else ++it;
  }
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    // A dead owner may or may not have sent its IDENTIFY: assume it did (the safe side for the
    // budget) and stop counting it as in flight.
    if (it->second.owner == owner) {
      if (remaining_ != UINT32_MAX && remaining_ > 0) --remaining_;
      bucket_free_at_[it->second.bucket] = now + window_ + margin_;
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
}

void IdentifyQueue::complete(std::uint64_t ticket, bool used, TimePoint now) {
  auto it = in_flight_.find(ticket);
  if (it == in_flight_.end()) return;
  const InFlight f = it->second;
  in_flight_.erase(it);
  if (used && remaining_ != UINT32_MAX && remaining_ > 0) --remaining_;
  // Unused: nothing reached Discord after the grant, the window from the grant is enough.
  bucket_free_at_[f.bucket] = used ? now + window_ + margin_ : f.granted_at + window_;
}

std::string IdentifyQueue::blocked_reason(TimePoint now) const {
  if (waiting_.empty() || budget_allows()) return {};
  std::string text = fmt::format(
      "identify budget: {} identifies left today ({} in flight), keeping a reserve of {}; {} shards wait",
      remaining_, in_flight_.size(), reserve_, waiting_.size());
  if (budget_resets_at_ && *budget_resets_at_ > now) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(*budget_resets_at_ - now).count();
    text += fmt::format(" until the reset in {} s", s);
  }
  return text;
}

std::uint32_t default_identify_reserve(std::uint32_t total_shards, std::uint32_t daily_total) {
  return std::max<std::uint32_t>(total_shards, (daily_total + 19) / 20);
}

}  // namespace megane::daemon
