#include "close_codes.hpp"

namespace megane::gateway {

CloseClass classify_close(std::uint16_t code) noexcept {
  switch (code) {
    case 0: return {AfterClose::resume, "connection lost"};
    case 1000: return {AfterClose::resume, "normal closure"};
    case 1001: return {AfterClose::resume, "going away"};
    case 4000: return {AfterClose::resume, "unknown error"};
    case 4001: return {AfterClose::resume, "unknown opcode"};
    case 4002: return {AfterClose::resume, "decode error"};
    // Discord: "you sent a payload prior to identifying" — no session to resume.
    case 4003: return {AfterClose::identify, "not authenticated"};
    case 4004: return {AfterClose::fatal, "authentication failed"};
    case 4005: return {AfterClose::resume, "already authenticated"};
    case 4007: return {AfterClose::identify, "invalid seq"};
    case 4008: return {AfterClose::resume, "rate limited"};
    case 4009: return {AfterClose::identify, "session timed out"};
    case 4010: return {AfterClose::fatal, "invalid shard"};
    case 4011: return {AfterClose::fatal, "sharding required"};
    case 4012: return {AfterClose::fatal, "invalid API version"};
    case 4013: return {AfterClose::fatal, "invalid intents"};
    case 4014: return {AfterClose::fatal, "disallowed intents"};
    default: break;
  }
  // Unknown codes (Cloudflare's 1006-style, proxies, future Discord codes): try to resume; the
  // gateway answers op 9 if the session is gone.
  return {AfterClose::resume, "unknown close code"};
}

CloseClass classify_invalid_session(bool resumable) noexcept {
  if (resumable) return {AfterClose::resume, "invalid session (resumable)"};
  return {AfterClose::identify, "invalid session"};
}

std::string_view to_string(AfterClose action) noexcept {
  switch (action) {
    case AfterClose::resume: return "resume";
    case AfterClose::identify: return "identify";
    case AfterClose::fatal: return "fatal";
  }
  return "?";
}

}  // namespace megane::gateway
