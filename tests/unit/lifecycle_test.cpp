// The whole state x event table, written out: any change to the lifecycle shows up here.
#include "lifecycle.hpp"

#include <string>

#include "catch.hpp"

using namespace megane::daemon;
using S = ChildState;
using E = ChildEvent;
using A = ChildAction;

namespace {

struct Row {
  S state;
  E event;
  S next;
  A action;
};

// clang-format off
const Row table[] = {
  // idle: only start (and an operator) bring it up
  {S::idle, E::start, S::starting, A::spawn},
  {S::idle, E::ready, S::idle, A::none},
  {S::idle, E::exited, S::idle, A::none},
  {S::idle, E::exited_crash_loop, S::idle, A::none},
  {S::idle, E::exited_fatal, S::idle, A::none},
  {S::idle, E::hung, S::idle, A::none},
  {S::idle, E::restart, S::backoff, A::schedule_restart},
  {S::idle, E::stop, S::idle, A::none},
  {S::idle, E::timer, S::idle, A::none},
  // starting
  {S::starting, E::start, S::starting, A::none},
  {S::starting, E::ready, S::ready, A::none},
  {S::starting, E::exited, S::backoff, A::schedule_restart},
  {S::starting, E::exited_crash_loop, S::quarantined, A::quarantine},
  {S::starting, E::exited_fatal, S::failed, A::give_up},
  {S::starting, E::hung, S::restarting, A::terminate},
  {S::starting, E::restart, S::restarting, A::terminate},
  {S::starting, E::stop, S::stopping, A::terminate},
  {S::starting, E::timer, S::starting, A::none},
  // ready
  {S::ready, E::start, S::ready, A::none},
  {S::ready, E::ready, S::ready, A::none},
  {S::ready, E::exited, S::backoff, A::schedule_restart},
  {S::ready, E::exited_crash_loop, S::quarantined, A::quarantine},
  {S::ready, E::exited_fatal, S::failed, A::give_up},
  {S::ready, E::hung, S::restarting, A::terminate},
  {S::ready, E::restart, S::restarting, A::terminate},
  {S::ready, E::stop, S::stopping, A::terminate},
  {S::ready, E::timer, S::ready, A::none},
  // stopping: wait for the exit, then stay down
  {S::stopping, E::start, S::stopping, A::none},
  {S::stopping, E::ready, S::stopping, A::none},
  {S::stopping, E::exited, S::idle, A::none},
  {S::stopping, E::exited_crash_loop, S::idle, A::none},
  {S::stopping, E::exited_fatal, S::idle, A::none},
  {S::stopping, E::hung, S::stopping, A::none},
  {S::stopping, E::restart, S::restarting, A::none},
  {S::stopping, E::stop, S::stopping, A::none},
  {S::stopping, E::timer, S::stopping, A::none},
  // restarting: wait for the exit, then come back (unless it earned quarantine or said fatal)
  {S::restarting, E::start, S::restarting, A::none},
  {S::restarting, E::ready, S::restarting, A::none},
  {S::restarting, E::exited, S::backoff, A::schedule_restart},
  {S::restarting, E::exited_crash_loop, S::quarantined, A::quarantine},
  {S::restarting, E::exited_fatal, S::failed, A::give_up},
  {S::restarting, E::hung, S::restarting, A::none},
  {S::restarting, E::restart, S::restarting, A::none},
  {S::restarting, E::stop, S::stopping, A::none},
  {S::restarting, E::timer, S::restarting, A::none},
  // backoff
  {S::backoff, E::start, S::backoff, A::none},
  {S::backoff, E::ready, S::backoff, A::none},
  {S::backoff, E::exited, S::backoff, A::none},
  {S::backoff, E::exited_crash_loop, S::backoff, A::none},
  {S::backoff, E::exited_fatal, S::backoff, A::none},
  {S::backoff, E::hung, S::backoff, A::none},
  {S::backoff, E::restart, S::backoff, A::schedule_restart},
  {S::backoff, E::stop, S::idle, A::cancel_timer},
  {S::backoff, E::timer, S::starting, A::spawn},
  // quarantined
  {S::quarantined, E::start, S::quarantined, A::none},
  {S::quarantined, E::ready, S::quarantined, A::none},
  {S::quarantined, E::exited, S::quarantined, A::none},
  {S::quarantined, E::exited_crash_loop, S::quarantined, A::none},
  {S::quarantined, E::exited_fatal, S::quarantined, A::none},
  {S::quarantined, E::hung, S::quarantined, A::none},
  {S::quarantined, E::restart, S::backoff, A::schedule_restart},
  {S::quarantined, E::stop, S::idle, A::cancel_timer},
  {S::quarantined, E::timer, S::starting, A::spawn},
  // failed: only an operator brings it back
  {S::failed, E::start, S::failed, A::none},
  {S::failed, E::ready, S::failed, A::none},
  {S::failed, E::exited, S::failed, A::none},
  {S::failed, E::exited_crash_loop, S::failed, A::none},
  {S::failed, E::exited_fatal, S::failed, A::none},
  {S::failed, E::hung, S::failed, A::none},
  {S::failed, E::restart, S::backoff, A::schedule_restart},
  {S::failed, E::stop, S::idle, A::cancel_timer},
  {S::failed, E::timer, S::failed, A::none},
};
// clang-format on

}  // namespace

TEST_CASE("lifecycle: every state x event pair is in the table and matches", "[lifecycle]") {
  constexpr int states = 8;
  constexpr int events = 9;
  REQUIRE(std::size(table) == states * events);
  for (const Row& row : table) {
    const Transition t = transition(row.state, row.event);
    INFO(std::string(to_string(row.state)) + " + " + std::string(to_string(row.event)));
    CHECK(t.next == row.next);
    CHECK(t.action == row.action);
  }
}

TEST_CASE("lifecycle: spawn happens only from idle+start and a due timer", "[lifecycle]") {
  for (const Row& row : table) {
    if (row.action != A::spawn) continue;
    const bool allowed = (row.state == S::idle && row.event == E::start) || row.event == E::timer;
    CHECK(allowed);
  }
}

TEST_CASE("lifecycle: has_process marks the states that own a pid", "[lifecycle]") {
  CHECK(has_process(S::starting));
  CHECK(has_process(S::ready));
  CHECK(has_process(S::stopping));
  CHECK(has_process(S::restarting));
  CHECK_FALSE(has_process(S::idle));
  CHECK_FALSE(has_process(S::backoff));
  CHECK_FALSE(has_process(S::quarantined));
  CHECK_FALSE(has_process(S::failed));
}
