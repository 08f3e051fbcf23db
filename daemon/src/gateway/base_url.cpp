#include "gateway/base_url.hpp"

#include <algorithm>
#include <cctype>

namespace megane::daemon {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string default_port(std::string_view scheme) {
  return scheme == "https" || scheme == "wss" ? "443" : "80";
}

}  // namespace

std::string Url::host_header() const {
  std::string h = ipv6_literal() ? "[" + host + "]" : host;
  if (port != default_port(scheme)) h += ":" + port;
  return h;
}

std::optional<Url> parse_url(std::string_view text, UrlQuery query) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = std::string(text.substr(0, sep));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "http" && url.scheme != "https" && url.scheme != "ws" && url.scheme != "wss") {
    return std::nullopt;
  }
  std::string_view rest = text.substr(sep + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials in URLs
  std::string_view query_text;
  if (query == UrlQuery::allowed && (url.scheme == "http" || url.scheme == "https")) {
    const auto mark = rest.find('?');
    if (slash != std::string_view::npos && mark != std::string_view::npos && mark > slash) {
      query_text = rest.substr(mark);
      path = path.substr(0, path.size() - query_text.size());
      if (query_text.size() == 1 || query_text.find_first_of("# \t") != std::string_view::npos) return std::nullopt;
    }
  }
  if (path.find_first_of("?# \t") != std::string_view::npos) return std::nullopt;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    authority = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (url.host.empty() || url.host.find_first_of(" \t/?#") != std::string::npos) return std::nullopt;
  if (!authority.empty()) {
    authority.remove_prefix(1);  // ':'
    if (!all_digits(authority)) return std::nullopt;
    const int port = std::stoi(std::string(authority));
    if (port < 1 || port > 65535) return std::nullopt;
    url.port = std::string(authority);
  } else {
    url.port = default_port(url.scheme);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.path = std::string(path);
  url.query = std::string(query_text);
  return url;
}

std::string request_target(const Url& url) { return (url.path.empty() ? std::string("/") : url.path) + url.query; }

}  // namespace megane::daemon
