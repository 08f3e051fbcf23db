// One HTTP(S) request, asynchronously on the daemon's io_context: GET /gateway/bot at start,
// and the notifier's POSTs to a channel or a webhook. The only Boost.Beast client code of
// meganed lives behind this interface, in one .cpp, so the rest of the daemon compiles without
// Beast's templates. https verifies the peer (the system's CA store, or a given PEM file),
// sends SNI and checks the host name (or IP) against the certificate.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "gateway/base_url.hpp"

namespace megane::daemon {

struct HttpRequest {
  std::string method = "GET";    // GET or POST
  Url url;                       // http or https; url.path (plus query) is the request target
  std::string authorization;     // the Authorization header value; empty: none; never logged
  std::string user_agent;
  std::string content_type;      // sent with a non-empty body
  std::string body;
  std::filesystem::path ca_file; // empty: the system's default verify paths
  std::chrono::milliseconds timeout{10'000};  // the whole exchange, resolve to last byte
};

struct HttpAnswer {
  int status = 0;     // HTTP status; 0 when no answer came (see error)
  std::string body;   // at most 1 MiB
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string error;  // transport failure, for people: "connect: Connection refused"

  // The first header named `name` (lower case), or "" when absent.
  std::string_view header(std::string_view name) const;
};

// `done` runs on `io` exactly once (not if `io` is stopped first).
void async_http_request(boost::asio::io_context& io, HttpRequest request, std::function<void(HttpAnswer)> done);

}  // namespace megane::daemon
