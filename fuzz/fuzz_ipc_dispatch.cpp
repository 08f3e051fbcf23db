// Fuzz target: the daemon's side of one connection, without a listening socket or children.
// A real meganed Daemon (prepare(): in-memory store, supervisor, router; nothing spawned) and
// a real Connection over a socketpair; the input's stream is written into the pair in the
// pieces split_input.hpp chooses and the event loop runs after each piece, so the frame
// assembler, the hello handshake, the dispatch switch and every handler behind it (store,
// commands, events, status) see it as they would from a peer. Invariants: no crash, no
// sanitizer report, and everything the daemon writes back is a well-formed frame stream whose
// error frames decode.
//
// One daemon serves many inputs, each on a fresh connection (building a daemon per input cost
// most of the time: io_context, signal sets, supervisor, store). So that every input still
// meets the same daemon, whatever could carry over is undone or avoided (dispatch_daemon.hpp):
// the store is emptied through the protocol after an input that wrote to it, and the daemon is
// rebuilt after an input that sent shutdown, rolling_restart or reload, left async work
// pending, or left its connection object alive.
//
// restart_cluster and restart_service frames are turned into the reserved stop_cluster before
// sending: they would spawn processes, which a fuzzer must not do millions of times. Their
// payload decoders are still fuzzed by fuzz_ipc_frames.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <megane/proto/messages.hpp>

#include "dispatch_daemon.hpp"
#include "split_input.hpp"

namespace {

using namespace megane;
using fuzz::DispatchDaemon;

// What the pre-scan of an input's frames found.
struct Scan {
  std::vector<std::uint8_t> stream;  // with process-spawning requests neutralised
  bool writes_store = false;         // a store write may have been applied
  bool daemon_wide = false;          // a request whose effect outlives the connection
};

// Rewrites restart_cluster/restart_service to stop_cluster (see the file comment) and notes
// which requests may change state beyond the connection. A superset: the daemon may stop
// reading earlier (a refused hello, a bad frame), never later.
Scan scan(std::span<const std::uint8_t> input) {
  Scan s;
  s.stream.assign(input.begin(), input.end());
  std::vector<std::uint8_t>& out = s.stream;
  std::size_t at = 0;
  while (out.size() - at >= proto::frame_header_size) {
    proto::FrameHeader h;
    if (proto::decode_header({out.data() + at, out.size() - at}, DispatchDaemon::max_frame, h) != proto::HeaderStatus::ok)
      break;
    using proto::MessageType;
    const MessageType t = h.type;
    if (t == MessageType::restart_cluster || t == MessageType::restart_service) {
      const auto stop = static_cast<std::uint16_t>(MessageType::stop_cluster);
      out[at + 8] = static_cast<std::uint8_t>(stop);
      out[at + 9] = static_cast<std::uint8_t>(stop >> 8);
    } else if (t == MessageType::store_set || t == MessageType::store_delete || t == MessageType::store_increment ||
               t == MessageType::store_compare_and_set || t == MessageType::store_expire) {
      s.writes_store = true;
    } else if (t == MessageType::shutdown || t == MessageType::rolling_restart || t == MessageType::reload) {
      s.daemon_wide = true;
    }
    at += proto::frame_header_size + h.length;
    if (at > out.size()) break;
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::split_input(data, size);
  const Scan s = scan(input.stream);
  DispatchDaemon& d = DispatchDaemon::instance();

  DispatchDaemon::Peer peer = d.connect(1);
  std::size_t at = 0;
  std::size_t cut_index = 0;
  while (at < s.stream.size()) {
    const std::size_t end = cut_index < input.cuts.size() ? input.cuts[cut_index++] : s.stream.size();
    if (end <= at) continue;
    // Small inputs always fit the socket buffer, so one blocking send is enough.
    if (::send(peer.fd, s.stream.data() + at, end - at, MSG_NOSIGNAL) < 0) break;
    at = end;
    d.run_loop();
    d.check_replies(peer);
  }
  const bool left_behind = !d.hang_up(peer);

  if (s.daemon_wide || left_behind) {
    d.rebuild();
  } else if (s.writes_store && !d.empty_store()) {
    std::fprintf(stderr, "the store still lists keys after each listed key was deleted\n");
    std::abort();
  }
  return 0;
}
