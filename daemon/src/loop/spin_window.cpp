#include "loop/spin_window.hpp"

#include <algorithm>

namespace megane::daemon {

namespace {

// A window that grows from nothing starts at a quarter of the ceiling (the kernel starts at
// 50 us of its 200 us), then doubles; a wasted one halves.
constexpr int grow_factor = 2;
constexpr int shrink_factor = 2;
constexpr int start_divisor = 4;

}  // namespace

void SpinWindow::set_ceiling(Nanos ceiling) {
  ceiling_ = std::max(ceiling, Nanos{0});
  current_ = std::min(current_, ceiling_);
}

void SpinWindow::after_sleep(Nanos idle) {
  if (ceiling_ == Nanos{0}) return;
  if (idle > current_ && idle <= ceiling_) {
    current_ = std::clamp(current_ * grow_factor, ceiling_ / start_divisor, ceiling_);
  } else if (idle > ceiling_) {
    current_ /= shrink_factor;
  }
}

}  // namespace megane::daemon
