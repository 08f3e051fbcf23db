#include "loop/busy_poll_loop.hpp"

#include <sched.h>

namespace megane::daemon {

namespace {

using Clock = std::chrono::steady_clock;

// Looks for work until `limit` has passed since `since`; true when a handler ran.
bool spin(boost::asio::io_context& io, Clock::time_point since, SpinWindow::Nanos limit) {
  while (Clock::now() - since < limit) {
    // poll_one: an epoll_wait with a zero timeout when nothing is queued.
    if (io.poll_one() > 0) return true;
    if (io.stopped()) return false;
    // A process that shares this CPU (a cluster pinned here, a timer that just fired) runs
    // now rather than at the end of our time slice: spinning must not delay a neighbour.
    ::sched_yield();
  }
  return false;
}

}  // namespace

void run_busy_polling(boost::asio::io_context& io, SpinWindow& window) {
  for (;;) {
    if (window.ceiling() == SpinWindow::Nanos{0}) {
      // Spinning off: exactly run(), one handler at a time so a reload can switch it on.
      if (io.run_one() == 0) return;
      continue;
    }
    if (io.poll() > 0) continue;  // ran what was ready; look again
    if (io.stopped()) return;
    const Clock::time_point idle_since = Clock::now();
    if (window.current() > SpinWindow::Nanos{0} && spin(io, idle_since, window.current())) continue;
    if (io.stopped()) return;
    if (io.run_one() == 0) return;
    // The gap ends when the first handler starts; it includes that handler's run time, which is
    // small next to the gaps this is about.
    window.after_sleep(Clock::now() - idle_since);
  }
}

}  // namespace megane::daemon
