// The I/O of one gateway WebSocket (after the HTTP upgrade) and of bursts. A reader coroutine
// decodes client frames into GatewayConnection; one writer coroutine (the only writer) drains
// its Outbox, many frames per socket write. Bursts append to sessions under backpressure.
#include <array>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "fakecord/hub.hpp"
#include "fakecord/net.hpp"
#include "fakecord/ws_codec.hpp"

namespace fakecord::net {

namespace {

using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

constexpr auto write_timeout = 30s;         // a client that reads nothing for this long is cut off
constexpr auto close_handshake_timeout = 2s;
constexpr std::size_t max_client_message = 1 << 20;  // framing limit; the gateway's 4096 applies after
constexpr std::uint64_t burst_chunk = 512;
constexpr std::uint64_t burst_backlog = 8192;  // unsent events per connection before a burst waits

class GatewayIo : public std::enable_shared_from_this<GatewayIo> {
 public:
  GatewayIo(Hub& hub, std::unique_ptr<Transport> transport, const ConnectionParams& params)
      : transport_(std::move(transport)),
        conn_(hub, params, Clock::now()),
        wake_(transport_->executor()),
        watchdog_(transport_->executor()) {
    conn_.outbox().set_notify([this] { wake_.cancel(); });
  }

  void start(std::string leftover) {
    conn_.open(Clock::now());
    const auto ex = transport_->executor();
    asio::co_spawn(ex, reader(shared_from_this(), std::move(leftover)), log_failure("gateway reader"));
    asio::co_spawn(ex, writer(shared_from_this()), log_failure("gateway writer"));
  }

 private:
  // `self` keeps this object alive for as long as either coroutine runs.
  awaitable<void> reader(std::shared_ptr<GatewayIo> self, std::string leftover);
  awaitable<void> writer(std::shared_ptr<GatewayIo> self);
  // false: stop reading (the client closed)
  bool handle(ws::Event& event);

  std::unique_ptr<Transport> transport_;
  GatewayConnection conn_;
  asio::steady_timer wake_;  // the writer sleeps on it; the outbox's notify cancels it
  Watchdog watchdog_;
  bool reader_done_ = false;
};

bool GatewayIo::handle(ws::Event& event) {
  switch (event.kind) {
    case ws::EventKind::message: conn_.on_message(event.data, Clock::now()); return true;
    case ws::EventKind::ping: conn_.outbox().pong(event.data); return true;
    case ws::EventKind::pong: return true;
    case ws::EventKind::close:
      // Our own close frame may already be out (server-initiated close): then this completes
      // the handshake; otherwise it is echoed.
      if (!conn_.outbox().finished()) conn_.on_client_close(event.code);
      return false;
    case ws::EventKind::error: conn_.on_protocol_error(event.code, event.data); return false;
  }
  return false;
}

awaitable<void> GatewayIo::reader(std::shared_ptr<GatewayIo> self, std::string leftover) {
  (void)self;
  ws::Decoder decoder(max_client_message);
  std::vector<ws::Event> events;
  std::array<char, 16 * 1024> buf{};
  std::string_view input = leftover;
  bool reading = true;
  while (reading) {
    events.clear();
    decoder.feed(input, events);
    for (ws::Event& e : events) {
      if (!handle(e)) {
        reading = false;
        break;
      }
    }
    if (!reading || conn_.outbox().dropped()) break;
    auto [ec, n] = co_await transport_->read_some(asio::buffer(buf));
    if (ec) break;  // EOF, reset, or closed by the writer: all expected
    input = std::string_view(buf.data(), n);
  }
  reader_done_ = true;
  wake_.cancel();
}

awaitable<void> GatewayIo::writer(std::shared_ptr<GatewayIo> self) {
  (void)self;
  std::string out;
  Outbox& outbox = conn_.outbox();
  std::optional<TimePoint> close_deadline;
  for (;;) {
    conn_.pump();
    if (outbox.dropped()) break;
    if (outbox.pending() > 0) {
      outbox.take(out);
      Transport* t = transport_.get();
      watchdog_.arm(write_timeout, [t] { t->close(); });
      const error_code ec = co_await transport_->write(asio::buffer(out));
      watchdog_.disarm();
      if (ec) break;
      continue;
    }
    if (reader_done_) break;
    if (outbox.closing()) {
      // Our close frame is out: give the client a moment to answer it, then hang up.
      if (!close_deadline) close_deadline = Clock::now() + close_handshake_timeout;
      if (Clock::now() >= *close_deadline) break;
      wake_.expires_at(*close_deadline);
    } else {
      wake_.expires_at(TimePoint::max());
    }
    co_await wake_.async_wait(asio::as_tuple(use_awaitable));
  }
  transport_->close();
  conn_.on_transport_closed(Clock::now());
  spdlog::debug("gateway connection {} ended: {}", conn_.id(),
                outbox.dropped() ? std::string("dropped") : fmt::format("close code {}", outbox.close_code()));
}

awaitable<void> run_burst(Hub& hub, BurstJob job) {
  hub.burst_started();
  BurstPacer pacer(job.count, job.rate, Clock::now());
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!pacer.done()) {
    Session* s = hub.find_session(job.session_id);
    if (s == nullptr || s->invalid) break;  // the session ended: so does its burst
    const TimePoint now = Clock::now();
    const bool backlogged = s->attached != nullptr && s->seq + 1 - s->attached->next_seq() > burst_backlog;
    const std::uint64_t n = backlogged ? 0 : std::min(pacer.due(now), burst_chunk);
    if (n > 0) {
      pacer.sent(hub.dispatch_burst(*s, n));
      // Let the writers run before the next chunk.
      co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
      continue;
    }
    timer.expires_at(backlogged ? now + 1ms : std::max(pacer.next_due(), now + 100us));
    co_await timer.async_wait(asio::as_tuple(use_awaitable));
  }
  hub.burst_finished();
  spdlog::debug("burst for session {} ended after {} of {} events", job.session_id, pacer.sent_count(), job.count);
}

}  // namespace

std::function<void(std::exception_ptr)> log_failure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{} failed: {}", what, ex.what());
    } catch (...) {
      spdlog::error("{} failed with an unknown exception", what);
    }
  };
}

void start_gateway_connection(Hub& hub, std::unique_ptr<Transport> transport, std::string leftover,
                              const ConnectionParams& params) {
  auto io = std::make_shared<GatewayIo>(hub, std::move(transport), params);
  io->start(std::move(leftover));
}

void start_burst(const asio::any_io_executor& executor, Hub& hub, BurstJob job) {
  asio::co_spawn(executor, run_burst(hub, std::move(job)), log_failure("burst"));
}

}  // namespace fakecord::net
