// A small strict JSON reader (RFC 8259) that keeps the line and column of every key and value,
// which general-purpose JSON libraries throw away. Only for config files: it builds the
// format-neutral config tree and rejects what a config must not contain (null, duplicate keys).
#pragma once

#include <string_view>

#include "config_tree.hpp"

namespace megane::daemon {

// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
inline constexpr int json_max_depth = 64;

// Never throws on bad input: every syntax error comes back with its exact line and column
// (columns count Unicode code points, like toml++ does).
TreeResult read_json(std::string_view text);

}  // namespace megane::daemon
