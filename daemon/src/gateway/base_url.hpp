// The few URL shapes meganed deals with: Discord's REST base (http/https) and gateway
// (ws/wss). Parsed once here so the config check and the HTTP client agree on what a URL means.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace megane::daemon {

struct Url {
  std::string scheme;  // lower case: http, https, ws, wss
  std::string host;    // without brackets for an IPv6 literal
  std::string port;    // explicit, or the scheme's default ("80", "443")
  std::string path;    // "" or starting with '/'; no trailing '/' (a base to append routes to)
  std::string query;   // "" or "?...": only where the caller allows one (UrlQuery::allowed)
  bool tls() const noexcept { return scheme == "https" || scheme == "wss"; }
  bool ipv6_literal() const noexcept { return host.find(':') != std::string::npos; }
  // Host header value: host[:port] when the port is not the default.
  std::string host_header() const;
};

// Bases (the REST API, the gateway) take no query: routes are appended to their path. A
// webhook URL may carry one (?thread_id=..., ?wait=true), kept as the URL's `query`.
enum class UrlQuery : bool { refused, allowed };

// scheme://host[:port][/path][?query], no user info or fragment, a query only when allowed.
// nullopt when malformed.
std::optional<Url> parse_url(std::string_view text, UrlQuery query = UrlQuery::refused);

// What an HTTP request line asks for: the path ("/" when empty) and the query.
std::string request_target(const Url& url);

}  // namespace megane::daemon
