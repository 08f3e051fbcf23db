// Custom stats come from bot code: before meganed embeds them in its own JSON they must be
// one valid JSON object. Minified, so an event line stays one line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace megane::daemon {

// The object without insignificant whitespace, or nullopt with `why` set.
std::optional<std::string> compact_json_object(std::string_view text, std::string& why);

}  // namespace megane::daemon
