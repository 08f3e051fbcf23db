// Fuzz target: the daemon's side of one connection, without a listening socket or children.
// A real meganed Daemon (prepare(): in-memory store, supervisor, router; nothing spawned) and
// a real Connection over a socketpair; the input's stream is written into the pair in the
// pieces split_input.hpp chooses and the event loop runs after each piece, so the frame
// assembler, the hello handshake, the dispatch switch and every handler behind it (store,
// commands, events, status) see it as they would from a peer. Invariants: no crash, no
// sanitizer report, and everything the daemon writes back is a well-formed frame stream whose
// error frames decode.
//
// restart_cluster and restart_service frames are turned into the reserved stop_cluster before
// sending: they would spawn processes, which a fuzzer must not do millions of times. Their
// payload decoders are still fuzzed by fuzz_ipc_frames.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <megane/proto/messages.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "config.hpp"
#include "connection.hpp"
#include "daemon.hpp"
#include "split_input.hpp"

namespace {

using namespace megane;
namespace asio = boost::asio;

constexpr std::uint32_t max_frame = 1u << 16;

// Two clusters, one service, an in-memory store; paths that exist on any Linux machine.
const daemon::Config& fuzz_config() {
  static const daemon::Config config = [] {
    const std::string text = R"({
      "name": "fuzz-bot",
      "bot": {"executable": "/bin/true"},
      "services": [{"name": "svc", "executable": "/bin/true"}],
      "sharding": {"shards": 4, "clusters": 2, "cores": [0]},
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
  static bool done = false;
  if (done) return;
  done = true;
  auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_st>());
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

// The stream with process-spawning requests neutralised (see the file comment).
std::vector<std::uint8_t> without_spawns(std::span<const std::uint8_t> stream) {
  std::vector<std::uint8_t> out(stream.begin(), stream.end());
  std::size_t at = 0;
  while (out.size() - at >= proto::frame_header_size) {
    proto::FrameHeader h;
    if (proto::decode_header({out.data() + at, out.size() - at}, max_frame, h) != proto::HeaderStatus::ok) break;
    if (h.type == proto::MessageType::restart_cluster || h.type == proto::MessageType::restart_service) {
      const auto t = static_cast<std::uint16_t>(proto::MessageType::stop_cluster);
      out[at + 8] = static_cast<std::uint8_t>(t);
      out[at + 9] = static_cast<std::uint8_t>(t >> 8);
    }
    at += proto::frame_header_size + h.length;
    if (at > out.size()) break;
  }
  return out;
}

// Reads what the daemon sent back and checks it frame by frame.
void check_replies(int fd, proto::FrameAssembler& replies) {
  for (;;) {
    auto space = replies.prepare(64 * 1024);
    const ssize_t n = ::recv(fd, space.data(), space.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    replies.commit(static_cast<std::size_t>(n));
  }
  proto::FrameView frame;
  for (;;) {
    const auto st = replies.next(frame);
    if (st == proto::HeaderStatus::need_more) return;
    if (st != proto::HeaderStatus::ok) {
      std::fprintf(stderr, "the daemon wrote a bad frame: %s\n", std::string(proto::to_string(st)).c_str());
      std::abort();
    }
    if (frame.header.has(proto::FrameFlags::error)) {
      proto::ErrorReply e;
      if (!proto::decode(frame.payload, e)) {
        std::fprintf(stderr, "the daemon wrote an error frame that does not decode\n");
        std::abort();
      }
    }
  }
}

void run_loop(asio::io_context& io) {
  io.restart();  // a shutdown request stops the loop; keep serving what is left
  io.poll();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  quiet_logs();
  const auto input = fuzz::split_input(data, size);
  const auto stream = without_spawns(input.stream);

  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  const int peer = fds[1];

  asio::io_context io;
  {
    daemon::Daemon d(io, fuzz_config(), std::nullopt);  // no [gateway]: no token
    if (d.prepare() != 0) std::abort();
    daemon::Connection::Socket socket(io, asio::local::stream_protocol(), fds[0]);
    auto conn = std::make_shared<daemon::Connection>(
        std::move(socket), d, 1, daemon::PeerCredentials{::getpid(), ::getuid(), ::getgid()}, max_frame,
        std::size_t{1} << 20);
    conn->start(std::chrono::seconds(5));
    run_loop(io);

    proto::FrameAssembler replies(64u << 20);
    std::size_t at = 0;
    std::size_t cut_index = 0;
    while (at < stream.size()) {
      const std::size_t end = cut_index < input.cuts.size() ? input.cuts[cut_index++] : stream.size();
      if (end <= at) continue;
      // Small inputs always fit the socket buffer, so one blocking send is enough.
      if (::send(peer, stream.data() + at, end - at, MSG_NOSIGNAL) < 0) break;
      at = end;
      run_loop(io);
      check_replies(peer, replies);
    }
    ::shutdown(peer, SHUT_WR);  // the peer hangs up: the read loop sees EOF and closes
    run_loop(io);
    check_replies(peer, replies);
    conn->close_now("fuzz input done");
    run_loop(io);
  }
  ::close(peer);
  return 0;
}
