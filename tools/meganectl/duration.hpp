// Durations on meganectl's command line: "500ms", "30s", "2m", "1h", or plain seconds ("30",
// "1.5"). Pure, so it is unit-tested.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace megane::ctl {

// nullopt for anything else, including zero, negative and absurdly large values.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace megane::ctl
