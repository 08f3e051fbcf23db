// Listeners, TLS, HTTP/1.1 for the REST and control ports, and the WebSocket upgrade on the
// gateway and resume ports. Beast is used for HTTP request parsing only (see ws_codec.hpp).
#include "fakecord/server.hpp"

#include <cctype>
#include <csignal>
#include <fstream>
#include <optional>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "fakecord/hub.hpp"
#include "fakecord/net.hpp"
#include "fakecord/routes.hpp"
#include "fakecord/tls_cert.hpp"
#include "fakecord/ws_codec.hpp"

namespace fakecord {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using net::error_code;
using net::Transport;
using net::Watchdog;
using namespace std::chrono_literals;

constexpr auto handshake_timeout = 10s;  // TLS handshake and the WebSocket upgrade request
constexpr auto http_idle_timeout = 30s;  // a keep-alive REST/control connection with no request
constexpr auto http_write_timeout = 30s;

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(tcp::socket socket) : socket_(std::move(socket)) {}
  awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) override {
    auto [ec, n] = co_await socket_.async_read_some(buffer, asio::as_tuple(use_awaitable));
    co_return std::make_pair(ec, n);
  }
  awaitable<error_code> write(asio::const_buffer buffer) override {
    auto [ec, n] = co_await asio::async_write(socket_, buffer, asio::as_tuple(use_awaitable));
    (void)n;
    co_return ec;
  }
  void close() override {
    error_code ignored;
    socket_.close(ignored);
  }
  asio::any_io_executor executor() override { return socket_.get_executor(); }

 private:
  tcp::socket socket_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(tcp::socket socket, ssl::context& context) : stream_(std::move(socket), context) {}
  awaitable<error_code> handshake() {
    auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, asio::as_tuple(use_awaitable));
    co_return ec;
  }
  awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) override {
    auto [ec, n] = co_await stream_.async_read_some(buffer, asio::as_tuple(use_awaitable));
    co_return std::make_pair(ec, n);
  }
  awaitable<error_code> write(asio::const_buffer buffer) override {
    auto [ec, n] = co_await asio::async_write(stream_, buffer, asio::as_tuple(use_awaitable));
    (void)n;
    co_return ec;
  }
  void close() override {
    error_code ignored;
    stream_.next_layer().close(ignored);
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  ssl::stream<tcp::socket> stream_;
};

struct ParsedRequest {
  HttpRequest request;
  bool keep_alive = true;
  bool websocket_upgrade = false;  // a valid RFC 6455 upgrade request
  std::string websocket_key;
};

bool has_token(std::string_view header, std::string_view token) {
  // Comma-separated, case-insensitive (Connection: keep-alive, Upgrade).
  std::string lower(header);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(token) != std::string::npos;
}

// One HTTP request; `buffer` carries bytes read past it. nullopt: the peer left or sent garbage
// (a 400 was attempted).
awaitable<std::optional<ParsedRequest>> read_request(Transport& t, std::string& buffer) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  std::array<char, 16 * 1024> chunk{};
  for (;;) {
    if (!buffer.empty()) {
      error_code ec;
      const std::size_t used = parser.put(asio::buffer(buffer), ec);
      buffer.erase(0, used);
      if (parser.is_done()) break;
      if (ec && ec != http::error::need_more) {
        const std::string reply = serialize(json_response(400, R"({"message":"400: Bad Request","code":0})"), false);
        co_await t.write(asio::buffer(reply));
        co_return std::nullopt;
      }
      if (!ec && used > 0) continue;  // header done, body next
    }
    auto [ec, n] = co_await t.read_some(asio::buffer(chunk));
    if (ec) co_return std::nullopt;
    buffer.append(chunk.data(), n);
  }
  const auto& msg = parser.get();
  ParsedRequest out;
  out.request.method = std::string(msg.method_string());
  out.request.target = std::string(msg.target());
  out.request.authorization = std::string(msg[http::field::authorization]);
  out.request.body = msg.body();
  for (const auto& field : msg) out.request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.keep_alive = msg.keep_alive();
  out.websocket_key = std::string(msg[http::field::sec_websocket_key]);
  out.websocket_upgrade = msg.method() == http::verb::get && has_token(msg[http::field::connection], "upgrade") &&
                          has_token(msg[http::field::upgrade], "websocket") &&
                          msg[http::field::sec_websocket_version] == "13" && !out.websocket_key.empty();
  co_return out;
}

}  // namespace

struct Server::Impl {
  explicit Impl(const Options& o) : options(o), hub(o, Clock::now()) {}

  awaitable<void> accept_loop(tcp::acceptor& acceptor, int kind);
  awaitable<void> serve(tcp::socket socket, int kind);
  awaitable<void> http_loop(std::unique_ptr<Transport> t, bool control);
  awaitable<void> upgrade(std::unique_ptr<Transport> t, bool resume_port);
  awaitable<void> tick_loop();
  void shutdown();

  static constexpr int gateway_kind = 0, api_kind = 1, control_kind = 2, resume_kind = 3;

  Options options;
  Hub hub;  // declared before the io_context: coroutine frames destroyed with it still use the hub
  asio::io_context io{1};
  std::optional<ssl::context> tls;
  std::array<tcp::acceptor, 4> acceptors{tcp::acceptor(io), tcp::acceptor(io), tcp::acceptor(io), tcp::acceptor(io)};
  asio::steady_timer tick_timer{io};
  asio::signal_set signals{io, SIGINT, SIGTERM};
  bool stopping = false;
};

awaitable<void> Server::Impl::accept_loop(tcp::acceptor& acceptor, int kind) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(use_awaitable));
    if (ec) {
      if (stopping || !acceptor.is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());  // e.g. out of file descriptors
      asio::steady_timer pause(io, 100ms);
      co_await pause.async_wait(asio::as_tuple(use_awaitable));
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(io, serve(std::move(socket), kind), net::log_failure("connection"));
  }
}

awaitable<void> Server::Impl::serve(tcp::socket socket, int kind) {
  std::unique_ptr<Transport> t;
  if (tls && kind != control_kind) {
    auto tls_transport = std::make_unique<TlsTransport>(std::move(socket), *tls);
    Watchdog deadline(io.get_executor());
    TlsTransport* raw = tls_transport.get();
    deadline.arm(handshake_timeout, [raw] { raw->close(); });
    const error_code ec = co_await tls_transport->handshake();
    deadline.disarm();
    if (ec) co_return;  // a client that does not trust us, or a port scanner
    t = std::move(tls_transport);
  } else {
    t = std::make_unique<PlainTransport>(std::move(socket));
  }
  if (kind == api_kind || kind == control_kind) {
    co_await http_loop(std::move(t), kind == control_kind);
  } else {
    co_await upgrade(std::move(t), kind == resume_kind);
  }
}

awaitable<void> Server::Impl::http_loop(std::unique_ptr<Transport> t, bool control) {
  std::string buffer;
  Watchdog deadline(io.get_executor());
  Transport* raw = t.get();
  for (;;) {
    deadline.arm(http_idle_timeout, [raw] { raw->close(); });
    auto parsed = co_await read_request(*t, buffer);
    deadline.disarm();
    if (!parsed) co_return;
    RouteResult result;
    if (control) {
      result = handle_control(hub, parsed->request, Clock::now());
    } else {
      result.response = handle_rest(hub, parsed->request, Clock::now());
    }
    const std::string reply = serialize(result.response, parsed->keep_alive);
    deadline.arm(http_write_timeout, [raw] { raw->close(); });
    const error_code ec = co_await t->write(asio::buffer(reply));
    deadline.disarm();
    for (BurstJob& job : result.bursts) net::start_burst(io.get_executor(), hub, std::move(job));
    if (ec || !parsed->keep_alive) co_return;
  }
}

awaitable<void> Server::Impl::upgrade(std::unique_ptr<Transport> t, bool resume_port) {
  std::string buffer;
  Watchdog deadline(io.get_executor());
  Transport* raw = t.get();
  deadline.arm(handshake_timeout, [raw] { raw->close(); });
  auto parsed = co_await read_request(*t, buffer);
  deadline.disarm();
  if (!parsed) co_return;
  const HttpRequest& req = parsed->request;
  std::optional<HttpResponse> refusal;
  const GatewayQuery query = parse_gateway_query(req.target);
  if (path_of(req.target) != "/") {
    refusal = discord_error(404, "404: Not Found", 0);
  } else if (!parsed->websocket_upgrade) {
    refusal = discord_error(400, "The gateway expects a WebSocket upgrade", 0);
  } else if (!query.unsupported.empty()) {
    refusal = discord_error(400, query.unsupported, 0);
  }
  if (refusal) {
    const std::string reply = serialize(*refusal, false);
    co_await t->write(asio::buffer(reply));
    co_return;
  }
  const std::string accept = fmt::format(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: {}\r\n\r\n",
      ws::accept_key(parsed->websocket_key));
  deadline.arm(http_write_timeout, [raw] { raw->close(); });
  const error_code ec = co_await t->write(asio::buffer(accept));
  deadline.disarm();
  if (ec) co_return;
  net::start_gateway_connection(hub, std::move(t), std::move(buffer),
                                ConnectionParams{query.zlib, query.version_ok, resume_port});
}

awaitable<void> Server::Impl::tick_loop() {
  while (!stopping) {
    tick_timer.expires_after(100ms);
    co_await tick_timer.async_wait(asio::as_tuple(use_awaitable));
    hub.tick(Clock::now());
  }
}

void Server::Impl::shutdown() {
  // Stop accepting, say goodbye (1001: sessions stay resumable), give writers a moment, stop.
  stopping = true;
  for (auto& a : acceptors) {
    error_code ignored;
    a.close(ignored);
  }
  tick_timer.cancel();
  for (GatewayConnection* c : hub.connections()) c->close(1001, "fakecord is shutting down");
  auto timer = std::make_shared<asio::steady_timer>(io, 500ms);
  timer->async_wait([this, timer](error_code) { io.stop(); });
}

Server::Server(const Options& options) : impl_(std::make_unique<Impl>(options)) {}
Server::~Server() = default;

Ports Server::listen() {
  Impl& s = *impl_;
  if (s.options.tls) {
    const SelfSignedCert cert = make_self_signed_cert();
    s.tls.emplace(ssl::context::tls_server);
    s.tls->use_certificate_chain(asio::buffer(cert.cert_pem));
    s.tls->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
    if (!s.options.cert_out.empty()) {
      std::ofstream(s.options.cert_out) << cert.cert_pem;
      if (!std::ifstream(s.options.cert_out)) throw std::runtime_error("cannot write " + s.options.cert_out);
    }
  }
  std::array<std::uint16_t, 4> ports{};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto port = static_cast<std::uint16_t>(s.options.port == 0 ? 0 : s.options.port + i);
    const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), port);
    tcp::acceptor& a = s.acceptors[i];
    error_code ec;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot listen on 127.0.0.1:{}: {}", port, ec.message()));
    ports[i] = a.local_endpoint().port();
  }
  const char* scheme = s.options.tls ? "wss" : "ws";
  s.hub.set_urls(fmt::format("{}://127.0.0.1:{}", scheme, ports[Impl::gateway_kind]),
                 fmt::format("{}://127.0.0.1:{}", scheme, ports[Impl::resume_kind]));
  return Ports{ports[Impl::gateway_kind], ports[Impl::api_kind], ports[Impl::control_kind], ports[Impl::resume_kind]};
}

void Server::run() {
  Impl& s = *impl_;
  for (int kind = 0; kind < 4; ++kind) {
    asio::co_spawn(s.io, s.accept_loop(s.acceptors[static_cast<std::size_t>(kind)], kind), net::log_failure("accept loop"));
  }
  asio::co_spawn(s.io, s.tick_loop(), net::log_failure("tick loop"));
  s.signals.async_wait([&s](error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    s.shutdown();
  });
  s.io.run();
}

}  // namespace fakecord
