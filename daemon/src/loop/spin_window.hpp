// How long meganed's loop spins before it sleeps, adapted to what its idle gaps have been.
//
// Why spin at all: on a VM whose guest does not poll before halting (guest_halt_poll_ns = 0),
// waking a sleeping process on an idle vCPU is an exit to the host, tens of microseconds, and a
// command round trip pays it on every hop. A loop that keeps looking for work a little while
// after it runs out catches the reply that is on its way and nobody has to be woken.
//
// The rule is the one the kernel's haltpoll governor uses for the same trade: the window grows
// when the loop slept but woke within the ceiling (spinning a little longer would have caught
// it) and shrinks when it slept longer than the ceiling (spinning was wasted). A spin that finds
// work changes nothing. So sparse traffic decays the window to nothing, and a request/reply
// rhythm keeps it open.
#pragma once

#include <chrono>

namespace megane::daemon {

class SpinWindow {
 public:
  using Nanos = std::chrono::nanoseconds;

  // `ceiling` 0 switches spinning off.
  explicit SpinWindow(Nanos ceiling) { set_ceiling(ceiling); }

  // Reloadable; the current window is clamped to the new ceiling.
  void set_ceiling(Nanos ceiling);

  Nanos ceiling() const { return ceiling_; }
  // How long to look for work before sleeping; 0: sleep at once.
  Nanos current() const { return current_; }

  // After the loop slept: `idle` is the whole gap, the spin included.
  void after_sleep(Nanos idle);

 private:
  Nanos ceiling_{0};
  Nanos current_{0};
};

}  // namespace megane::daemon
