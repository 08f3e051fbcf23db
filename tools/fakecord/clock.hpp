// fakecord's pure code takes time as an argument (tests drive it on virtual time).
#pragma once

#include <chrono>
#include <cstdint>

namespace fakecord {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

inline std::uint64_t ms_between(TimePoint from, TimePoint to) {
  return to <= from ? 0 : static_cast<std::uint64_t>(std::chrono::duration_cast<milliseconds>(to - from).count());
}

}  // namespace fakecord
