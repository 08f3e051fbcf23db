// meganed's event loop: io_context::run(), except that when the loop runs out of work it
// first keeps polling for up to the SpinWindow's current window before it sleeps in the
// kernel (see spin_window.hpp for why and for how the window adapts). Off by default
// ([ipc] busy_poll_us = 0): it trades CPU for latency, and only some workloads win
// (docs/benchmarks.md, "Busy polling").
//
// Tried and dropped: spinning only while a forwarded command awaits its answer. Which gap
// costs a wake-up of a halted vCPU depends on where the scheduler put meganed, the cluster and
// the service, so that variant gained nothing measurable.
#pragma once

#include <boost/asio/io_context.hpp>

#include "loop/spin_window.hpp"

namespace megane::daemon {

// Returns when `io` is stopped (or runs out of work, as run() would). The window is read on
// every idle gap, so a reload that changes its ceiling takes effect at once.
void run_busy_polling(boost::asio::io_context& io, SpinWindow& window);

}  // namespace megane::daemon
