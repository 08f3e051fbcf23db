// JSON as meganectl handles it: command data must be valid JSON before it is sent, and data
// coming back is printed on one line, embedded raw in meganectl's own JSON when it is valid.
// Pure, unit-tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace megane::ctl {

// Why `text` is not one valid JSON value, or nullopt when it is.
std::optional<std::string> json_error(std::string_view text);

// `text` as a JSON string literal, quotes included.
std::string quote_json(std::string_view text);

// Valid JSON: the same value without insignificant whitespace (tokens untouched, so numbers
// keep their spelling), so it fits one line. Anything else: quote_json(text).
std::string one_line_json(std::string_view text);

}  // namespace megane::ctl
