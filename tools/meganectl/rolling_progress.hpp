// What `meganectl restart --all` prints while meganed restarts the clusters one by one: one
// line per cluster, built from the rolling_restart_* events. Pure, unit-tested; the command is
// rolling_restart_command.cpp.
#pragma once

#include <string>

#include <megane/proto/command_messages.hpp>

namespace megane::ctl {

// The text for one event: "[2/4] cluster 1: restarting... " (the line stays open) and then
// "ready (1.2 s, pid 4321)\n"; "" for events that print nothing (the final reply does).
std::string format_rolling_event(const proto::Event& event);

// The event mask `restart --all` subscribes to.
std::uint32_t rolling_event_mask();

}  // namespace megane::ctl
