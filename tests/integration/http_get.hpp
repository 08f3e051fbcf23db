// A blocking HTTP/1.0 GET over 127.0.0.1 for the metrics tests (status and body), and a port
// nobody listens on right now for meganed to bind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace megane::test {

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

// nullopt when nothing answered within 5 s.
std::optional<HttpResult> http_get(std::uint16_t port, const std::string& path);

// A port the kernel just handed out and released (meganed binds it right after).
std::uint16_t free_port();

}  // namespace megane::test
