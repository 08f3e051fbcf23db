// The SDK's version, as sent in the hello ("libmegane/<version>").
#pragma once

#include <string_view>

namespace megane {

std::string_view sdk_version() noexcept;

}  // namespace megane
