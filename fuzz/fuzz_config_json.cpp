// Fuzz target: a JSON config file through our own strict JSON reader and the schema.
#include "config_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return megane::fuzz::fuzz_config(data, size, "fuzz.json");
}
