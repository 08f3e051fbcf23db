#include "dispatch_daemon.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <variant>

#include <megane/proto/messages.hpp>
#include <megane/proto/store_messages.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "config.hpp"

namespace megane::fuzz {

namespace {

namespace asio = boost::asio;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "ipc_dispatch: %s\n", what);
  std::abort();
}

// Two clusters, one service, an in-memory store; paths that exist on any Linux machine. No
// `cores`: the default is every CPU this process may run on, so the harness also runs under
// taskset or a cpuset that leaves out CPU 0.
const daemon::Config& fuzz_config() {
  static const daemon::Config config = [] {
    const std::string text = R"({
      "name": "fuzz-bot",
      "bot": {"executable": "/bin/true"},
      "services": [{"name": "svc", "executable": "/bin/true"}],
      "sharding": {"shards": 4, "clusters": 2},
      "ipc": {"socket": "/nonexistent/megane-fuzz.sock", "max_frame_bytes": 65536,
              "max_output_bytes": 1048576},
      "store": {"persistence": false}
    })";
    auto r = daemon::parse_config(text, "/fuzz/fuzz-bot.json");
    if (auto* e = std::get_if<daemon::ConfigError>(&r)) {
      std::fprintf(stderr, "fuzz config: %s\n", e->to_string().c_str());
      std::abort();
    }
    return std::get<daemon::Config>(std::move(r));
  }();
  return config;
}

void quiet_logs() {
  // Format every line (a bad format argument would show) but write nothing.
  auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_st>());
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

// Sends `bytes` in pieces the socket buffer always holds, letting the daemon read (and
// draining its answers) between them.
void send_all(DispatchDaemon& d, DispatchDaemon::Peer& peer, const proto::Bytes& bytes,
              const std::function<void(const proto::FrameView&)>& on_frame) {
  constexpr std::size_t piece = 32 * 1024;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    const std::size_t n = std::min(piece, bytes.size() - at);
    if (::send(peer.fd, bytes.data() + at, n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) fail("send to the daemon failed");
    d.run_loop();
    d.check_replies(peer, on_frame);
  }
}

}  // namespace

DispatchDaemon& DispatchDaemon::instance() {
  static DispatchDaemon d;
  return d;
}

DispatchDaemon::DispatchDaemon() {
  quiet_logs();
  rebuild();
}

void DispatchDaemon::rebuild() {
  daemon_.reset();  // before its loop: connections call back into it while closing
  io_.reset();
  io_ = std::make_unique<asio::io_context>();
  daemon_ = std::make_unique<daemon::Daemon>(*io_, fuzz_config(), std::nullopt);  // no [gateway]: no token
  if (daemon_->prepare() != 0) fail("prepare() failed");
}

DispatchDaemon::Peer DispatchDaemon::connect(std::uint64_t id) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) fail("socketpair failed");
  Peer peer;
  peer.fd = fds[1];
  daemon::Connection::Socket socket(*io_, asio::local::stream_protocol(), fds[0]);
  auto conn = std::make_shared<daemon::Connection>(std::move(socket), *daemon_, id,
                                                   daemon::PeerCredentials{::getpid(), ::getuid(), ::getgid()},
                                                   max_frame, std::size_t{1} << 20);
  conn->start(std::chrono::seconds(5));
  peer.conn = conn;
  run_loop();
  return peer;
}

void DispatchDaemon::run_loop() {
  io_->restart();
  io_->poll();
}

void DispatchDaemon::check_replies(Peer& peer, const std::function<void(const proto::FrameView&)>& on_frame) {
  // Through a small buffer: prepare(64 KiB) on every new peer's assembler zero-filled 64 KiB
  // per input, a tenth of this target's time.
  std::uint8_t buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::recv(peer.fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n <= 0) break;
    peer.replies.feed({buffer, static_cast<std::size_t>(n)});
  }
  proto::FrameView frame;
  for (;;) {
    const auto st = peer.replies.next(frame);
    if (st == proto::HeaderStatus::need_more) return;
    if (st != proto::HeaderStatus::ok) {
      std::fprintf(stderr, "the daemon wrote a bad frame: %s\n", std::string(proto::to_string(st)).c_str());
      std::abort();
    }
    if (frame.header.has(proto::FrameFlags::error)) {
      proto::ErrorReply e;
      if (!proto::decode(frame.payload, e)) fail("the daemon wrote an error frame that does not decode");
    }
    if (on_frame) on_frame(frame);
  }
}

bool DispatchDaemon::hang_up(Peer& peer) {
  ::shutdown(peer.fd, SHUT_WR);  // the read loop sees EOF and closes
  run_loop();
  check_replies(peer);
  if (auto conn = peer.conn.lock()) conn->close_now("fuzz input done");
  run_loop();
  ::close(peer.fd);
  peer.fd = -1;
  // poll() stops the loop when it runs out of work: stopped = no timer or operation pending.
  return peer.conn.expired() && io_->stopped();
}

bool DispatchDaemon::empty_store() {
  Peer peer = connect(2);
  std::uint32_t next_request = 1;
  proto::Bytes out;
  bool hello_ok = false;
  proto::append_frame(out, proto::MessageType::hello, 0, next_request++, proto::encode(proto::Hello{}));
  send_all(*this, peer, out, [&](const proto::FrameView& f) { hello_ok = f.header.type == proto::MessageType::hello_ok; });
  if (!hello_ok) fail("a control hello was refused");

  bool emptied = false;
  for (int round = 0; round < 64 && !emptied; ++round) {
    proto::StoreKeys ask;
    ask.count = 1000;
    out.clear();
    proto::append_frame(out, proto::MessageType::store_keys, 0, next_request++, proto::encode(ask));
    std::optional<proto::StoreKeyPage> page;
    send_all(*this, peer, out, [&](const proto::FrameView& f) {
      proto::StoreKeyPage p;
      if (f.header.type != proto::MessageType::store_keys || !proto::decode(f.payload, p)) fail("store_keys was not answered with a page");
      page = std::move(p);
    });
    if (!page) fail("store_keys got no answer");
    if (page->keys.empty()) {
      emptied = page->next_cursor.empty();
      if (!emptied) fail("an empty page of keys with a cursor to go on");
      break;
    }
    out.clear();
    for (const std::string& key : page->keys)
      proto::append_frame(out, proto::MessageType::store_delete, 0, next_request++, proto::encode(proto::StoreDelete{key}));
    std::size_t answered = 0;
    send_all(*this, peer, out, [&](const proto::FrameView& f) {
      if (f.header.type != proto::MessageType::store_delete || f.header.has(proto::FrameFlags::error))
        fail("store_delete of a listed key failed");
      ++answered;
    });
    if (answered != page->keys.size()) fail("not every store_delete was answered");
  }
  if (!hang_up(peer)) rebuild();
  return emptied;
}

}  // namespace megane::fuzz
