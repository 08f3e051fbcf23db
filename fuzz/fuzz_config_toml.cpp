// Fuzz target: a TOML config file through toml++ (the shared library meganed links, built by
// Debian with g++, so not instrumented: coverage and sanitizers see only our code, i.e. the
// conversion to the config tree and the schema) and the schema. See docs/reliability.md for
// why toml++ itself is not compiled into this target.
#include "config_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return megane::fuzz::fuzz_config(data, size, "fuzz.toml");
}
