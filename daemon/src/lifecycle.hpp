// The lifecycle of one supervised child (cluster or service) as a single state x event table.
// The supervisor classifies what happened into an event, asks transition() what to do, and
// performs the action; nothing else changes a child's state.
#pragma once

#include <cstdint>
#include <string_view>

namespace megane::daemon {

enum class ChildState : std::uint8_t {
  idle,         // no process, not wanted (before start, after stop)
  starting,     // spawned, not yet ready
  ready,        // said ready over IPC
  stopping,     // asked to terminate; stays down afterwards
  restarting,   // asked to terminate; comes back afterwards
  backoff,      // waiting for the restart timer
  quarantined,  // crashed too often in the window; waits for the quarantine timer or an operator
  failed,       // exited with the do-not-restart code; waits for an operator
};

enum class ChildEvent : std::uint8_t {
  start,              // the daemon wants it running (first plan)
  ready,              // the child reported ready
  exited,             // the process ended; the policy allows another try
  exited_crash_loop,  // the process ended; too many crashes in the window
  exited_fatal,       // the process ended with the do-not-restart exit code
  hung,               // ready timeout or no liveness answer
  restart,            // an operator asked for a restart
  stop,               // the daemon is shutting down (or an operator stops it)
  timer,              // the backoff or quarantine timer fired
};

enum class ChildAction : std::uint8_t {
  none,
  spawn,             // start the process now
  terminate,         // SIGTERM the process group, SIGKILL after stop_timeout
  schedule_restart,  // arm the timer with the restart policy's delay
  quarantine,        // log at error, arm the quarantine timer (if any)
  give_up,           // log at error: not restarting until an operator asks
  cancel_timer,      // drop a pending restart/quarantine timer
};

struct Transition {
  ChildState next;
  ChildAction action;
};

Transition transition(ChildState state, ChildEvent event) noexcept;

// True while a process exists (or may exist) for the child.
bool has_process(ChildState state) noexcept;

std::string_view to_string(ChildState state) noexcept;
std::string_view to_string(ChildEvent event) noexcept;
std::string_view to_string(ChildAction action) noexcept;

}  // namespace megane::daemon
