// The only translation unit of the SDK that instantiates Boost.Beast. Plain and TLS
// connections share one websocket::stream instantiation through MaybeTlsStream.
#include "ws_transport.hpp"

#include <openssl/ssl.h>

#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace megane::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Gateway payloads can be large (a big guild's GUILD_CREATE); Discord sets no documented cap.
constexpr std::size_t max_message_bytes = 256u << 20;

// Loaded once per process: the trust store is read from disk (SSL_CERT_FILE/SSL_CERT_DIR or
// the system default), which is too slow to repeat per connection.
ssl::context& tls_context() {
  static ssl::context context = [] {
    ssl::context c(ssl::context::tls_client);
    c.set_default_verify_paths();
    c.set_verify_mode(ssl::verify_peer);
    c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    return c;
  }();
  return context;
}

// TCP, or TLS over TCP, behind one type.
class MaybeTlsStream {
 public:
  using executor_type = asio::any_io_executor;

  explicit MaybeTlsStream(const executor_type& executor) : socket_(executor) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }

  void use_tls() { tls_.emplace(get_executor(), tls_context()); }
  bool tls() const noexcept { return tls_.has_value(); }
  ssl::stream<tcp::socket>& tls_stream() { return *tls_; }
  tcp::socket& socket() noexcept { return tls_ ? tls_->next_layer() : socket_; }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

  template <class Handler>
  friend void async_teardown(beast::role_type role, MaybeTlsStream& s, Handler&& handler) {
    if (s.tls_) {
      beast::async_teardown(role, *s.tls_, std::forward<Handler>(handler));
    } else {
      websocket::async_teardown(role, s.socket_, std::forward<Handler>(handler));
    }
  }
  // Beast closes the socket this way when a websocket operation fails or times out.
  friend void beast_close_socket(MaybeTlsStream& s) {
    error_code ignored;
    s.socket().close(ignored);
  }
  friend void teardown(beast::role_type role, MaybeTlsStream& s, error_code& ec) {
    if (s.tls_) {
      beast::teardown(role, *s.tls_, ec);
    } else {
      websocket::teardown(role, s.socket_, ec);
    }
  }

 private:
  tcp::socket socket_;                            // plain connections
  std::optional<ssl::stream<tcp::socket>> tls_;   // TLS connections own their socket
};

class BeastTransport final : public WsTransport {
 public:
  explicit BeastTransport(const asio::any_io_executor& executor) : executor_(executor) {}

  asio::awaitable<error_code> connect(const Url& url, std::string user_agent,
                                      std::chrono::milliseconds timeout) override {
    using namespace asio::experimental::awaitable_operators;
    ws_.emplace(executor_);
    peer_close_ = PeerClose{};
    if (url.tls) ws_->next_layer().use_tls();
    asio::steady_timer deadline(executor_);
    deadline.expires_after(timeout);
    auto outcome = co_await (handshake(url, std::move(user_agent)) || deadline.async_wait(use_tuple));
    if (outcome.index() == 1) {
      abort();
      co_return asio::error::timed_out;
    }
    co_return std::get<0>(outcome);
  }

  asio::awaitable<error_code> read(std::string_view& message) override {
    buffer_.consume(buffer_.size());
    auto [ec, n] = co_await ws_->async_read(buffer_, use_tuple);
    if (ec) {
      if (ec == websocket::error::closed) {
        const websocket::close_reason& r = ws_->reason();
        peer_close_ = PeerClose{static_cast<std::uint16_t>(r.code), std::string(r.reason.c_str())};
      }
      co_return ec;
    }
    const auto data = buffer_.cdata();
    message = std::string_view(static_cast<const char*>(data.data()), data.size());
    co_return error_code{};
  }

  asio::awaitable<error_code> write(std::string_view text) override {
    if (!ws_) co_return asio::error::not_connected;
    auto [ec, n] = co_await ws_->async_write(asio::buffer(text.data(), text.size()), use_tuple);
    co_return ec;
  }

  asio::awaitable<void> close(std::uint16_t code, std::string reason,
                              std::chrono::milliseconds timeout) override {
    using namespace asio::experimental::awaitable_operators;
    if (!ws_ || !ws_->is_open()) {
      abort();
      co_return;
    }
    asio::steady_timer deadline(executor_);
    deadline.expires_after(timeout);
    websocket::close_reason why;
    why.code = code;
    if (reason.size() > 120) reason.resize(120);  // a close frame carries <= 123 bytes
    why.reason.assign(reason.data(), reason.size());
    co_await (ws_->async_close(why, use_tuple) || deadline.async_wait(use_tuple));
    abort();
  }

  void abort() noexcept override {
    if (!ws_) return;
    error_code ignored;
    ws_->next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    ws_->next_layer().socket().close(ignored);
  }

  PeerClose peer_close() const override { return peer_close_; }

 private:
  asio::awaitable<error_code> handshake(const Url& url, std::string user_agent) {
    tcp::resolver resolver(executor_);
    auto [rec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
    if (rec) co_return rec;
    MaybeTlsStream& stream = ws_->next_layer();
    auto [cec, ep] = co_await asio::async_connect(stream.socket(), endpoints, use_tuple);
    if (cec) co_return cec;
    error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
    if (stream.tls()) {
      auto& tls = stream.tls_stream();
      // SNI, and the certificate must name the host we asked for.
      if (SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str()) != 1) {
        co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
      }
      tls.set_verify_callback(ssl::host_name_verification(url.host));
      auto [hec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple);
      if (hec) co_return hec;
    }
    ws_->read_message_max(max_message_bytes);
    ws_->auto_fragment(false);
    ws_->set_option(websocket::stream_base::decorator([ua = std::move(user_agent)](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, ua);
    }));
    auto [wec] = co_await ws_->async_handshake(host_header(url), url.target, use_tuple);
    co_return wec;
  }

  asio::any_io_executor executor_;
  std::optional<websocket::stream<MaybeTlsStream>> ws_;
  beast::flat_buffer buffer_;
  PeerClose peer_close_;
};

}  // namespace

std::unique_ptr<WsTransport> make_ws_transport(const boost::asio::any_io_executor& executor) {
  return std::make_unique<BeastTransport>(executor);
}

}  // namespace megane::gateway
