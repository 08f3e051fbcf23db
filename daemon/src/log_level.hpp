// The config's log level as spdlog's: set at start (main) and again on reload.
#pragma once

#include <spdlog/common.h>

#include "config.hpp"

namespace megane::daemon {

inline spdlog::level::level_enum to_spdlog(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace megane::daemon
