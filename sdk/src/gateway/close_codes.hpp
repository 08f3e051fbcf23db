// What a shard does after its gateway connection ends: Discord's close codes and opcode 9,
// classified in one place (docs/sdk.md#close-codes has the same table).
#pragma once

#include <cstdint>
#include <string_view>

namespace megane::gateway {

enum class AfterClose : std::uint8_t {
  resume,    // reconnect and RESUME the session (or IDENTIFY if there is none)
  identify,  // the session is gone: reconnect and IDENTIFY with a new permit
  fatal,     // retrying cannot help (bad token, shard or intents): the cluster stops for good
};

struct CloseClass {
  AfterClose action = AfterClose::resume;
  std::string_view meaning;  // Discord's name for the code, for logs and shard status
};

// `code` is the close frame's code; 0 means the connection ended without one (TCP reset,
// EOF, a zombie we dropped), which keeps the session resumable.
CloseClass classify_close(std::uint16_t code) noexcept;

// Opcode 9 (invalid session): `d` says whether the session may be resumed.
CloseClass classify_invalid_session(bool resumable) noexcept;

// Discord documents the 4004 and 4010-4014 closes as "do not reconnect".
inline bool is_fatal(std::uint16_t code) noexcept {
  return classify_close(code).action == AfterClose::fatal;
}

std::string_view to_string(AfterClose action) noexcept;

}  // namespace megane::gateway
