// The gateway URLs a shard connects to: Discord's (wss://gateway.discord.gg), READY's
// resume_gateway_url, or a simulator's ws://127.0.0.1:PORT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace megane::gateway {

struct Url {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
};

// nullopt for anything but ws:// and wss:// with a host.
std::optional<Url> parse_url(std::string_view text);

// The gateway URL with the query every connection uses: v=10, JSON, zlib-stream or not. Any
// query already on the URL is replaced (Discord's URLs carry none; a stale one must not stay).
Url with_gateway_query(Url url, bool zlib_stream);

// "host:port" for logs and the Host header (port omitted when it is the scheme's default).
std::string host_header(const Url& url);

}  // namespace megane::gateway
