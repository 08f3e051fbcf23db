// --timeout on meganectl's command line. The syntax is meganed's own config duration syntax
// ("500ms", "30s", "2m", "1m30s", plain seconds "2.5"), so operators learn one; only zero is
// refused here, because waiting zero time for an answer is never what anyone means.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

namespace megane::ctl {

// The duration, or a one-line error for the user.
std::variant<std::chrono::milliseconds, std::string> parse_timeout(std::string_view text);

}  // namespace megane::ctl
