// The HTTP endpoint of [metrics] (GET /metrics, GET /healthz): Boost.Beast lives behind this
// interface in metrics_server.cpp only, so the rest of the daemon compiles without it. The
// handler builds each answer on the daemon's loop; the server only moves bytes, with a
// deadline on every read and write and a cap on concurrent connections.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

namespace megane::daemon {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class MetricsServer {
 public:
  // `path` is the request target without the query string.
  using Handler = std::function<HttpReply(std::string_view path)>;

  MetricsServer(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log, Handler handler);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts accepting; false with `error` set ("bind 127.0.0.1:9464: Address already in use").
  bool listen(const std::string& host, std::uint16_t port, std::string& error);
  // Stops accepting and closes every connection.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace megane::daemon
