// The one validator for both config formats: walks the config tree, checks every key, type,
// range and cross-key rule, resolves paths, and fills Config.
#pragma once

#include <filesystem>

#include "config.hpp"
#include "config_tree.hpp"

namespace megane::daemon {

// `file` is the path as the user wrote it (errors name it that way); `source` is its absolute
// form, whose directory anchors relative paths. Reports the first error by position (errors
// about the file as a whole come after positioned ones). Never throws.
LoadResult validate_config(const Node& root, const std::filesystem::path& file,
                           const std::filesystem::path& source);

}  // namespace megane::daemon
