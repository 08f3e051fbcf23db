// A running fakecord (the real binary) with its ports read from the JSON line it prints, and
// its control API at hand. Shared by the fakecord, gateway and daemon gateway tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "harness.hpp"

namespace megane::test {

inline constexpr const char* fakecord_token = "fakecord-test-token";

struct Fakecord {
  // `extra` flags replace the defaults (40 guilds, 5 members, HELLO every 5 s) they name;
  // `token` is the one token it accepts (written to token_file).
  explicit Fakecord(std::vector<std::string> extra = {}, const std::string& token = fakecord_token);

  std::uint64_t stat(const char* key);       // a top-level counter of GET /stats
  std::uint64_t stat(const char* group, const char* key);  // e.g. ("resumes", "total")
  std::string stats();
  // POST to the control API; returns the body.
  std::string control(const std::string& target, const std::string& body);
  std::string gateway_url() const { return "ws://127.0.0.1:" + std::to_string(gateway); }
  std::string api_url() const { return "http://127.0.0.1:" + std::to_string(api) + "/api/v10"; }
  // A config's [gateway] section pointing at this fakecord (token file, URLs, identify window),
  // open for more gateway keys after it.
  std::string gateway_section(const std::string& identify_window = "100ms") const {
    return "[gateway]\ntoken_file = \"" + token_file.string() + "\"\ngateway_url = \"" + gateway_url() +
           "\"\napi_url = \"" + api_url() + "\"\nidentify_window = \"" + identify_window + "\"\n";
  }

  TempDir dir;
  fs::path token_file;
  std::unique_ptr<Process> proc;
  std::uint16_t gateway = 0, api = 0, control_port = 0, resume = 0;
  simdjson::dom::parser parser;
};

}  // namespace megane::test
