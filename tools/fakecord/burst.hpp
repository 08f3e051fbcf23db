// Pacing of a burst: `count` events at `rate` per second (0: as fast as the client drains them).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "fakecord/clock.hpp"

namespace fakecord {

struct BurstJob {
  std::string session_id;
  std::uint64_t count = 0;
  double rate = 0;  // events per second; 0: unpaced
};

class BurstPacer {
 public:
  BurstPacer(std::uint64_t count, double rate, TimePoint start) : count_(count), rate_(rate), start_(start) {}

  // Events that may be dispatched now (the first one is due at once).
  std::uint64_t due(TimePoint now) const {
    if (rate_ <= 0) return count_ - sent_;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const auto allowed = static_cast<std::uint64_t>(std::floor(std::max(0.0, elapsed) * rate_)) + 1;
    return std::min(count_, allowed) - std::min(sent_, std::min(count_, allowed));
  }
  // When the next event becomes due.
  TimePoint next_due() const {
    if (rate_ <= 0) return start_;
    return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(sent_) / rate_));
  }
  void sent(std::uint64_t n) { sent_ += n; }
  bool done() const { return sent_ >= count_; }
  std::uint64_t sent_count() const { return sent_; }

 private:
  std::uint64_t count_;
  double rate_;
  TimePoint start_;
  std::uint64_t sent_ = 0;
};

}  // namespace fakecord
