// The daemon's Boost.Beast client translation unit (~40-60 s to compile): a plain or TLS
// HTTP/1.1 GET or POST with a deadline over the whole exchange. Errors are values, not
// exceptions.
#include "http/http_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

namespace megane::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t max_body_bytes = 1u << 20;

std::string failed(std::string_view step, const boost::system::error_code& ec) {
  return fmt::format("{}: {}", step, ec.message());
}

http::request<http::string_body> make_request(const HttpRequest& get) {
  const http::verb verb = get.method == "POST" ? http::verb::post : http::verb::get;
  http::request<http::string_body> req{verb, request_target(get.url), 11};
  req.set(http::field::host, get.url.host_header());
  req.set(http::field::user_agent, get.user_agent);
  req.set(http::field::accept, "application/json");
  if (!get.authorization.empty()) req.set(http::field::authorization, get.authorization);
  if (!get.body.empty() || verb == http::verb::post) {
    if (!get.content_type.empty()) req.set(http::field::content_type, get.content_type);
    req.body() = get.body;
    req.prepare_payload();
  }
  return req;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Request out, response in, on an already connected (and for TLS, handshaken) stream.
template <class Stream>
asio::awaitable<HttpAnswer> exchange(Stream& stream, const HttpRequest& get) {
  HttpAnswer answer;
  auto req = make_request(get);
  auto [wec, wn] = co_await http::async_write(stream, req, tuple);
  (void)wn;
  if (wec) {
    answer.error = failed("send", wec);
    co_return answer;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body_bytes);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, tuple);
  (void)rn;
  if (rec) {
    answer.error = failed("receive", rec);
    co_return answer;
  }
  answer.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) answer.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  answer.body = std::move(parser.get().body());
  co_return answer;
}

asio::awaitable<HttpAnswer> request_once(HttpRequest get) {
  auto ex = co_await asio::this_coro::executor;
  HttpAnswer answer;

  // The resolver has no deadline of its own: a timer cancels it.
  tcp::resolver resolver(ex);
  asio::steady_timer resolve_deadline(ex);
  resolve_deadline.expires_after(get.timeout);
  resolve_deadline.async_wait([&resolver](const boost::system::error_code& ec) {
    if (!ec) resolver.cancel();
  });
  auto [rec, endpoints] = co_await resolver.async_resolve(get.url.host, get.url.port, tuple);
  resolve_deadline.cancel();
  if (rec) {
    answer.error = failed(fmt::format("resolve {}", get.url.host), rec);
    co_return answer;
  }

  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_after(get.timeout);  // covers connect, handshake, write and read
  auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, tuple);
  (void)ep;
  if (cec) {
    answer.error = failed(fmt::format("connect to {}:{}", get.url.host, get.url.port), cec);
    co_return answer;
  }
  if (!get.url.tls()) {
    answer = co_await exchange(tcp_stream, get);
    beast::error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return answer;
  }

  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code cec2;
  if (get.ca_file.empty()) ctx.set_default_verify_paths(cec2);
  else ctx.load_verify_file(get.ca_file.string(), cec2);
  if (cec2) {
    answer.error = failed(get.ca_file.empty() ? std::string("load the system CA store")
                                              : fmt::format("load CA file {}", get.ca_file.string()),
                          cec2);
    co_return answer;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
  // SNI names a host, never an address (RFC 6066); the certificate check takes both.
  if (!get.url.ipv6_literal() && !std::all_of(get.url.host.begin(), get.url.host.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.';
      })) {
    SSL_set_tlsext_host_name(stream.native_handle(), get.url.host.c_str());
  }
  stream.set_verify_callback(ssl::host_name_verification(get.url.host));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, tuple);
  if (hec) {
    answer.error = failed("TLS handshake", hec);
    co_return answer;
  }
  answer = co_await exchange(stream, get);
  // No TLS close_notify exchange: the answer is complete, and waiting for a peer that never
  // answers it would only delay the result until the deadline.
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().close(ignored);
  co_return answer;
}

}  // namespace

std::string_view HttpAnswer::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

void async_http_request(asio::io_context& io, HttpRequest request, std::function<void(HttpAnswer)> done) {
  asio::co_spawn(io, request_once(std::move(request)),
                 [done = std::move(done)](std::exception_ptr error, HttpAnswer answer) {
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       answer = HttpAnswer{};
                       answer.error = fmt::format("internal error: {}", e.what());
                     }
                   }
                   done(std::move(answer));
                 });
}

}  // namespace megane::daemon
