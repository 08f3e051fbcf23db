#include "fakecord/http_util.hpp"

#include <fmt/format.h>

#include "fakecord/json_out.hpp"

namespace fakecord {

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    default: return "Unknown";
  }
}

std::string serialize(const HttpResponse& response, bool keep_alive) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nServer: fakecord\r\nContent-Type: application/json\r\n"
                                "Content-Length: {}\r\nConnection: {}\r\n",
                                response.status, reason_phrase(response.status), response.body.size(),
                                keep_alive ? "keep-alive" : "close");
  for (const auto& [name, value] : response.headers) fmt::format_to(std::back_inserter(out), "{}: {}\r\n", name, value);
  out.append("\r\n");
  out.append(response.body);
  return out;
}

HttpResponse json_response(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse discord_error(unsigned status, std::string_view message, int code) {
  std::string body = "{\"message\":";
  json::str(body, message);
  body.append(",\"code\":");
  json::num(body, std::int64_t{code});
  body.push_back('}');
  return json_response(status, std::move(body));
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<std::string_view> query_param(std::string_view target, std::string_view name) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

GatewayQuery parse_gateway_query(std::string_view target) {
  GatewayQuery q;
  q.version_ok = query_param(target, "v") == std::optional<std::string_view>("10");
  const auto encoding = query_param(target, "encoding");
  if (encoding && *encoding != "json") {
    q.unsupported = fmt::format("fakecord speaks encoding=json only, not {}", *encoding);
  }
  if (const auto compress = query_param(target, "compress")) {
    if (*compress == "zlib-stream") {
      q.zlib = true;
    } else {
      q.unsupported = fmt::format("fakecord supports compress=zlib-stream only, not {}", *compress);
    }
  }
  return q;
}

}  // namespace fakecord
