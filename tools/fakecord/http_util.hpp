// HTTP pieces that need no sockets: the request as the routers see it, response serialization,
// Discord-style JSON errors, and the gateway URL's query string.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fakecord {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string authorization;
  std::string body;
  // Every header as sent (names as the client wrote them), for the record of posted messages.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // JSON
};

std::string_view reason_phrase(unsigned status);
// Status line, headers (Content-Type: application/json, Content-Length) and body.
std::string serialize(const HttpResponse& response, bool keep_alive);
HttpResponse json_response(unsigned status, std::string body);
// {"message": "...", "code": N}, the shape of Discord's REST errors.
HttpResponse discord_error(unsigned status, std::string_view message, int code);

std::string_view path_of(std::string_view target);
// The value of a query parameter (not URL-decoded: gateway parameters never need it).
std::optional<std::string_view> query_param(std::string_view target, std::string_view name);

struct GatewayQuery {
  bool version_ok = false;  // v=10
  bool zlib = false;        // compress=zlib-stream
  std::string unsupported;  // non-empty: refuse the upgrade with 400 and this text
};
GatewayQuery parse_gateway_query(std::string_view target);

}  // namespace fakecord
