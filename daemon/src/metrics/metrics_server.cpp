// meganed's second Boost.Beast translation unit (the first is http/http_client.cpp):
// a small HTTP/1.1 server for scrapes. GET and HEAD only, bodies refused, keep-alive honoured.
#include "metrics/metrics_server.hpp"

#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace megane::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
// A scraper sends a few hundred bytes; anything slow or large is not one.
constexpr auto io_deadline = std::chrono::seconds(10);
constexpr std::uint32_t max_header_bytes = 8 * 1024;
constexpr std::size_t max_connections = 32;

}  // namespace

struct MetricsServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, std::shared_ptr<spdlog::logger> l, Handler h)
      : acceptor(io), log(std::move(l)), handler(std::move(h)) {}

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopped) {
      auto [ec, socket] = co_await acceptor.async_accept(tuple);
      if (ec) {
        if (stopped || ec == asio::error::operation_aborted) co_return;
        log->warn("metrics: accept: {}", ec.message());
        continue;
      }
      if (sessions.size() >= max_connections) continue;  // closed as `socket` goes out of scope
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      sessions.insert(stream);
      asio::co_spawn(acceptor.get_executor(), session(stream), [self, stream](std::exception_ptr e) {
        self->sessions.erase(stream);
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            self->log->warn("metrics: connection failed: {}", ex.what());
          }
        }
      });
    }
  }

  asio::awaitable<void> session(std::shared_ptr<beast::tcp_stream> stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(max_header_bytes);
      parser.body_limit(0);
      stream->expires_after(io_deadline);
      auto [rec, rn] = co_await http::async_read(*stream, buffer, parser, tuple);
      (void)rn;
      if (rec) co_return;  // closed, timed out, malformed or over the limits: just close
      const auto& req = parser.get();
      http::response<http::string_body> res;
      res.version(req.version());
      res.set(http::field::server, "meganed");
      if (req.method() != http::verb::get && req.method() != http::verb::head) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "GET, HEAD");
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = "only GET and HEAD\n";
      } else {
        std::string_view target = req.target();
        target = target.substr(0, target.find('?'));
        HttpReply reply = handler(target);
        res.result(static_cast<unsigned>(reply.status));
        res.set(http::field::content_type, reply.content_type);
        res.set(http::field::cache_control, "no-store");
        res.body() = std::move(reply.body);
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      if (req.method() == http::verb::head) res.body().clear();
      stream->expires_after(io_deadline);
      auto [wec, wn] = co_await http::async_write(*stream, res, tuple);
      (void)wn;
      if (wec || !res.keep_alive()) break;
    }
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  tcp::acceptor acceptor;
  std::shared_ptr<spdlog::logger> log;
  Handler handler;
  std::set<std::shared_ptr<beast::tcp_stream>> sessions;
  bool stopped = false;
};

MetricsServer::MetricsServer(asio::io_context& io, std::shared_ptr<spdlog::logger> log, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(log), std::move(handler))) {}

MetricsServer::~MetricsServer() { stop(); }

bool MetricsServer::listen(const std::string& host, std::uint16_t port, std::string& error) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  const tcp::endpoint endpoint(address, port);
  const std::string where = address.is_v6() ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  auto fail = [&](std::string_view step) {
    error = fmt::format("metrics: {} {}: {}", step, where, ec.message());
    return false;
  };
  if (ec) return fail("address");
  if (impl_->acceptor.open(endpoint.protocol(), ec); ec) return fail("socket");
  if (impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) return fail("setsockopt");
  if (impl_->acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("listen");
  auto impl = impl_;
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), [impl](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      impl->log->error("metrics: the HTTP server stopped: {}", ex.what());
    }
  });
  return true;
}

void MetricsServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (const auto& s : impl_->sessions) s->socket().close(ignored);
}

}  // namespace megane::daemon
