// What a caught exception says, for the log lines of coroutines that failed (their completion
// handlers get an exception_ptr).
#pragma once

#include <exception>
#include <string>

namespace megane::detail {

// The exception's what(), or "unknown exception" for one that is not a std::exception.
std::string exception_text(const std::exception_ptr& e);

}  // namespace megane::detail
