#include "meganectl/report.hpp"

#include <fmt/format.h>

#include "meganectl/exit_codes.hpp"

namespace megane::ctl {

Clock::time_point deadline_of(const CommonOptions& options) { return Clock::now() + options.timeout; }

std::string_view text_of(const proto::Bytes& payload) {
  return {reinterpret_cast<const char*>(payload.data()), payload.size()};
}

int exit_code_of(const CallResult& r) {
  switch (r.status) {
    case CallStatus::ok: return exit_code::ok;
    case CallStatus::unreachable:
    case CallStatus::protocol_error: return exit_code::unavailable;
    case CallStatus::timeout: return exit_code::timed_out;
    case CallStatus::rejected: return exit_code::failed;
  }
  return exit_code::failed;
}

std::string about(std::string_view subject, const std::string& message) {
  if (message.starts_with(subject)) return message;
  return fmt::format("{}: {}", subject, message);
}

int report(const CallResult& r, std::string_view what, const CommonOptions& options) {
  if (r.status == CallStatus::timeout) {
    fmt::print(stderr, "meganectl: {} (waited {} ms, see --timeout)\n", about(what, r.error.message),
               options.timeout.count());
  } else {
    fmt::print(stderr, "meganectl: {}\n", about(what, r.error.message));
  }
  return exit_code_of(r);
}

std::optional<int> connect(ControlClient& client, const CommonOptions& options) {
  const CallResult r = client.connect(options.socket, deadline_of(options));
  if (r.ok()) return std::nullopt;
  // A refused handshake (uid not allowed, version mismatch) also means "cannot use the daemon".
  if (r.status == CallStatus::rejected) {
    fmt::print(stderr, "meganectl: meganed refused the connection: {}\n", r.error.message);
    return exit_code::unavailable;
  }
  if (r.status == CallStatus::timeout) {
    fmt::print(stderr, "meganectl: {} (waited {} ms, see --timeout)\n", r.error.message,
               options.timeout.count());
    return exit_code::timed_out;
  }
  fmt::print(stderr, "meganectl: {}\n", r.error.message);
  return exit_code::unavailable;
}

}  // namespace megane::ctl
