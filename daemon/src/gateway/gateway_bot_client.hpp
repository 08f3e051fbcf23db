// One HTTP(S) GET, asynchronously on the daemon's io_context: for Discord's GET /gateway/bot.
// The only Boost.Beast code of meganed lives behind this interface, in one .cpp, so the rest
// of the daemon compiles without Beast's templates. https verifies the peer (the system's CA
// store, or a given PEM file), sends SNI and checks the host name (or IP) against the
// certificate.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "gateway/base_url.hpp"

namespace megane::daemon {

struct HttpGet {
  Url url;                       // http or https; url.path is the request target
  std::string authorization;     // the Authorization header value; never logged
  std::string user_agent;
  std::filesystem::path ca_file; // empty: the system's default verify paths
  std::chrono::milliseconds timeout{10'000};  // the whole exchange, resolve to last byte
};

struct HttpAnswer {
  int status = 0;     // HTTP status; 0 when no answer came (see error)
  std::string body;   // at most 1 MiB
  std::string error;  // transport failure, for people: "connect: Connection refused"
};

// `done` runs on `io` exactly once (not if `io` is stopped first).
void async_http_get(boost::asio::io_context& io, HttpGet request, std::function<void(HttpAnswer)> done);

}  // namespace megane::daemon
