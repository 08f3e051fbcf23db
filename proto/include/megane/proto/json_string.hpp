// JSON string literals, written the same way by every peer: the daemon's status and events,
// meganectl's output, the SDK's gateway payloads. Quotes, backslashes and control characters
// are escaped; other bytes (UTF-8 included) pass through.
#pragma once

#include <string>
#include <string_view>

namespace megane::proto {

// Appends `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

inline std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_string(out, text);
  return out;
}

}  // namespace megane::proto
