// Shared body of the config fuzz targets: the input is a whole config file, parsed and
// validated exactly as `meganed --check` would (reader, then every key of the schema). The
// file is named inside tests/fixtures/good_configs so the fixtures' relative paths resolve.
// Invariants: no crash, no sanitizer report, a rejected file gets one error line whose line
// number is inside the text.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config.hpp"

namespace megane::fuzz {

inline int fuzz_config(const std::uint8_t* data, std::size_t size, const char* file_name) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = daemon::parse_config(text, std::string(MEGANE_FIXTURES_DIR "/good_configs/") + file_name);
  if (const auto* error = std::get_if<daemon::ConfigError>(&result)) {
    const auto lines = static_cast<std::uint32_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    const std::string line = error->to_string();
    if (error->line > lines || line.find('\n') != std::string::npos || error->message.empty()) {
      std::fprintf(stderr, "bad config error (text has %u lines): %s\n", lines, line.c_str());
      std::abort();
    }
  }
  return 0;
}

}  // namespace megane::fuzz
