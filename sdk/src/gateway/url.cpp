#include "url.hpp"

#include <charconv>

namespace megane::gateway {

std::optional<Url> parse_url(std::string_view text) {
  Url url;
  if (text.starts_with("wss://")) {
    url.tls = true;
    text.remove_prefix(6);
  } else if (text.starts_with("ws://")) {
    text.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (url.target.front() == '?') url.target.insert(0, "/");
  url.port = url.tls ? 443 : 80;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    authority = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (!authority.empty()) {
    if (authority.front() != ':' || authority.size() < 2) return std::nullopt;
    unsigned value = 0;
    const char* end = authority.data() + authority.size();
    const auto [ptr, ec] = std::from_chars(authority.data() + 1, end, value);
    if (ec != std::errc{} || ptr != end || value == 0 || value > 65535) return std::nullopt;
    url.port = static_cast<std::uint16_t>(value);
  }
  if (url.host.empty()) return std::nullopt;
  return url;
}

Url with_gateway_query(Url url, bool zlib_stream) {
  const std::size_t q = url.target.find('?');
  if (q != std::string::npos) url.target.resize(q);
  url.target += zlib_stream ? "?v=10&encoding=json&compress=zlib-stream" : "?v=10&encoding=json";
  return url;
}

std::string host_header(const Url& url) {
  const bool default_port = url.port == (url.tls ? 443 : 80);
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  if (!default_port) host += ":" + std::to_string(url.port);
  return host;
}

}  // namespace megane::gateway
