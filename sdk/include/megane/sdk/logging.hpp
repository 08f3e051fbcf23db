// One named spdlog logger per process component, in the form megane's processes share:
// timestamps on a terminal, plain "<priority>[name] text" lines under journald (which adds
// its own timestamps and maps the priority prefix to the journal's PRIORITY field).
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace megane {

// Creates (or replaces) the logger `name`, writing to stderr, registered with spdlog and made
// the default logger. Levels follow SPDLOG_LEVEL (e.g. "debug" or "info,cluster 2=trace").
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

}  // namespace megane
