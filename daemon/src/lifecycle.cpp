#include "lifecycle.hpp"

namespace megane::daemon {
namespace {

using S = ChildState;
using E = ChildEvent;
using A = ChildAction;

// A live process (starting or ready) reacts the same to everything but `ready`.
Transition running(S self, E event) noexcept {
  switch (event) {
    case E::ready: return {S::ready, A::none};
    case E::exited: return {S::backoff, A::schedule_restart};
    case E::exited_crash_loop: return {S::quarantined, A::quarantine};
    case E::exited_fatal: return {S::failed, A::give_up};
    case E::hung: return {S::restarting, A::terminate};
    case E::restart: return {S::restarting, A::terminate};
    case E::stop: return {S::stopping, A::terminate};
    case E::start:
    case E::timer: return {self, A::none};
  }
  return {self, A::none};
}

// Terminating: wait for the exit, whatever else happens. `restart` upgrades a stop.
Transition terminating(S self, E event) noexcept {
  switch (event) {
    // A stop wins over everything; a restart still honours a crash loop (a child restarted
    // because it hung counts as failed) and the child's own do-not-restart code.
    case E::exited:
      return self == S::stopping ? Transition{S::idle, A::none}
                                 : Transition{S::backoff, A::schedule_restart};
    case E::exited_crash_loop:
      return self == S::stopping ? Transition{S::idle, A::none}
                                 : Transition{S::quarantined, A::quarantine};
    case E::exited_fatal:
      return self == S::stopping ? Transition{S::idle, A::none} : Transition{S::failed, A::give_up};
    case E::restart: return {S::restarting, A::none};
    case E::stop: return {S::stopping, A::none};
    case E::start:
    case E::ready:
    case E::hung:
    case E::timer: return {self, A::none};
  }
  return {self, A::none};
}

// No process: only a timer, an operator or a stop moves it.
Transition waiting(S self, E event) noexcept {
  switch (event) {
    case E::timer:
      return self == S::failed ? Transition{self, A::none} : Transition{S::starting, A::spawn};
    case E::restart: return {S::backoff, A::schedule_restart};
    case E::stop: return {S::idle, A::cancel_timer};
    case E::start:
    case E::ready:
    case E::exited:
    case E::exited_crash_loop:
    case E::exited_fatal:
    case E::hung: return {self, A::none};
  }
  return {self, A::none};
}

}  // namespace

Transition transition(ChildState state, ChildEvent event) noexcept {
  switch (state) {
    case S::idle:
      if (event == E::start) return {S::starting, A::spawn};
      if (event == E::restart) return {S::backoff, A::schedule_restart};
      return {S::idle, A::none};
    case S::starting:
    case S::ready: return running(state, event);
    case S::stopping:
    case S::restarting: return terminating(state, event);
    case S::backoff:
    case S::quarantined:
    case S::failed: return waiting(state, event);
  }
  return {state, A::none};
}

bool has_process(ChildState state) noexcept {
  switch (state) {
    case S::starting:
    case S::ready:
    case S::stopping:
    case S::restarting: return true;
    case S::idle:
    case S::backoff:
    case S::quarantined:
    case S::failed: return false;
  }
  return false;
}

std::string_view to_string(ChildState state) noexcept {
  switch (state) {
    case S::idle: return "idle";
    case S::starting: return "starting";
    case S::ready: return "ready";
    case S::stopping: return "stopping";
    case S::restarting: return "restarting";
    case S::backoff: return "backoff";
    case S::quarantined: return "quarantined";
    case S::failed: return "failed";
  }
  return "?";
}

std::string_view to_string(ChildEvent event) noexcept {
  switch (event) {
    case E::start: return "start";
    case E::ready: return "ready";
    case E::exited: return "exited";
    case E::exited_crash_loop: return "exited (crash loop)";
    case E::exited_fatal: return "exited (fatal code)";
    case E::hung: return "hung";
    case E::restart: return "restart";
    case E::stop: return "stop";
    case E::timer: return "timer";
  }
  return "?";
}

std::string_view to_string(ChildAction action) noexcept {
  switch (action) {
    case A::none: return "none";
    case A::spawn: return "spawn";
    case A::terminate: return "terminate";
    case A::schedule_restart: return "schedule restart";
    case A::quarantine: return "quarantine";
    case A::give_up: return "give up";
    case A::cancel_timer: return "cancel timer";
  }
  return "?";
}

}  // namespace megane::daemon
