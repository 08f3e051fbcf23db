// The prepared meganed the ipc_dispatch fuzz target talks to, kept across inputs: one io_context
// and one Daemon (prepare(): in-memory store, supervisor, router; nothing spawned, nothing
// listening), and peers connected to it over socketpairs. It undoes what an input may leave
// behind: empty_store() deletes every key through the protocol, rebuild() starts a new daemon.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <megane/proto/frame.hpp>

#include "connection.hpp"
#include "daemon.hpp"

namespace megane::fuzz {

class DispatchDaemon {
 public:
  static constexpr std::uint32_t max_frame = 1u << 16;

  // One end of a socketpair; the daemon holds the other in a real Connection.
  struct Peer {
    int fd = -1;
    std::weak_ptr<daemon::Connection> conn;
    proto::FrameAssembler replies{64u << 20};
  };

  // The process's daemon, built on first use (with logging to a null sink).
  static DispatchDaemon& instance();

  // A new connection with this id (ids are reused: each input starts from the same state).
  Peer connect(std::uint64_t id);
  // Runs every handler that is ready, after a stop (a shutdown request stops the loop).
  void run_loop();
  // Reads what the daemon wrote to `peer` and checks it frame by frame: a well-formed frame
  // stream whose error frames decode, or abort. Each frame is also handed to `on_frame`.
  void check_replies(Peer& peer, const std::function<void(const proto::FrameView&)>& on_frame = {});
  // The peer hangs up (EOF, then the daemon's side is closed). True when nothing of the
  // connection is left: its object is freed and no async work is pending on the loop.
  bool hang_up(Peer& peer);
  // Lists the store's keys and deletes them over a fresh control connection until none is
  // listed. False if keys are still listed after that (a store bug); rebuilds the daemon if
  // the reset itself left something behind.
  bool empty_store();
  // Replaces the daemon (and its loop, with whatever handlers it still holds) by a new one.
  void rebuild();

 private:
  DispatchDaemon();

  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<daemon::Daemon> daemon_;
};

}  // namespace megane::fuzz
