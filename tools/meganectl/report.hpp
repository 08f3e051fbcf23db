// The pieces every meganectl command shares: connecting (with the error wording and exit code
// for each way that fails), and turning a failed call into a stderr line and an exit code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "meganectl/commands.hpp"
#include "meganectl/control_client.hpp"

namespace megane::ctl {

Clock::time_point deadline_of(const CommonOptions& options);

std::string_view text_of(const proto::Bytes& payload);

// The exit code for a failed call. 75 is meganectl's own deadline only: whatever the daemon
// reports as a failure (even its own timeout, e.g. ready_timeout) is 1.
int exit_code_of(const CallResult& r);

// "cluster 2: <message>", unless the daemon's message already says "cluster 2: ...".
std::string about(std::string_view subject, const std::string& message);

// Prints "meganectl: <what>: <why>" on stderr and returns the exit code.
int report(const CallResult& r, std::string_view what, const CommonOptions& options);

// Connects and handshakes; on failure prints why and returns the exit code.
std::optional<int> connect(ControlClient& client, const CommonOptions& options);

}  // namespace megane::ctl
