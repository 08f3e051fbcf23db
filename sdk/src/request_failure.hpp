// How a request to meganed that did not come back with a payload reads as a CommandReply:
// the daemon's error (not_found, timeout, target_exited...) or a local failure (disconnected,
// our own deadline). Shared by commands and fetches.
#pragma once

#include <string_view>

#include <megane/sdk/commands.hpp>
#include <megane/sdk/ipc_client.hpp>

namespace megane::detail {

CommandReply failure_of(const Reply& reply, std::string_view what);
// The request could not even be queued.
CommandReply not_sent(std::string_view what);

}  // namespace megane::detail
