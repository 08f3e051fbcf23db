// The only file that knows toml++: converts a TOML document into the format-neutral config
// tree, with the line and column of every key and value.
#pragma once

#include <string_view>

#include "config_tree.hpp"

namespace megane::daemon {

// Never throws: toml++'s parse_error becomes a TreeError with its position. Dates and times
// (which no config key accepts) are refused here because the tree has no kind for them.
TreeResult read_toml(std::string_view text, std::string_view source_name);

}  // namespace megane::daemon
