#include <megane/sdk/version.hpp>

namespace megane {

std::string_view sdk_version() noexcept { return MEGANE_SDK_VERSION; }

}  // namespace megane
