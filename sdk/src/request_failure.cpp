#include "request_failure.hpp"

#include <fmt/format.h>

namespace megane::detail {

CommandReply failure_of(const Reply& reply, std::string_view what) {
  CommandReply r;
  switch (reply.status) {
    case IpcStatus::rejected:
      r.status = detail::status_of(reply.error.code);
      r.message = reply.error.message.empty()
                      ? fmt::format("{}: {}", what, proto::to_string(reply.error.code))
                      : reply.error.message;
      return r;
    case IpcStatus::timeout:
      r.status = CommandStatus::timeout;
      r.message = fmt::format("{}: meganed did not answer in time", what);
      return r;
    case IpcStatus::cancelled:
      r.status = CommandStatus::cancelled;
      r.message = fmt::format("{}: cancelled", what);
      return r;
    case IpcStatus::ok:
    case IpcStatus::unreachable:
    case IpcStatus::disconnected:
    case IpcStatus::protocol_error: break;
  }
  r.status = CommandStatus::disconnected;
  r.message = fmt::format("{}: {}", what, reply.error.message);
  return r;
}

CommandReply not_sent(std::string_view what) {
  CommandReply r;
  r.status = CommandStatus::disconnected;
  r.message = fmt::format("{}: not connected to meganed", what);
  return r;
}

}  // namespace megane::detail
