// What the daemon sends a worker on its own initiative: commands (command_deliver), fetches
// (fetch_deliver, answered at once from the worker's cache) and events. Each command runs as
// its own coroutine on the worker's loop, so a slow handler never holds up the next one; its
// result goes back as a command_result reply.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include <megane/proto/frame.hpp>
#include <megane/sdk/ipc_client.hpp>
#include <megane/sdk/worker.hpp>

namespace megane::detail {

class Inbox {
 public:
  Inbox(Worker& worker, IpcClient& ipc, boost::asio::io_context& io,
        std::shared_ptr<spdlog::logger> logger);
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Install as the IpcClient's message handler: routes command_deliver and event frames.
  void dispatch(const proto::FrameHeader& header, proto::ByteView payload);

  // Subscribes (in the background) to all_clusters_ready plus the worker's event_mask().
  void subscribe();

  // Stopping: cancels every command handler still running; their results are not sent.
  void cancel_all();

 private:
  void deliver(const proto::FrameHeader& header, proto::ByteView payload);
  void event(proto::ByteView payload);
  void stats(const proto::FrameHeader& header, proto::ByteView payload);
  void fetch(const proto::FrameHeader& header, proto::ByteView payload);
  boost::asio::awaitable<void> handle(std::uint32_t request_id, CommandRequest request);
  boost::asio::awaitable<void> request_events(std::uint32_t mask);
  // Recycles the signals of handlers that finished (see finished_).
  void reclaim_finished();
  void answer(std::uint32_t request_id, const CommandRequest& request, const CommandResult& result);

  Worker& worker_;
  IpcClient& ipc_;
  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> logger_;
  // One signal per running handler, keyed by a local counter (request ids may be 0). Signals
  // are recycled through spare_: a signal keeps its slot's handler memory, so a command in the
  // steady state allocates neither a map node nor a signal.
  using Signal = std::unique_ptr<boost::asio::cancellation_signal>;
  boost::unordered_flat_map<std::uint64_t, Signal> running_;
  std::vector<Signal> spare_;
  // Keys of handlers that completed. Their signals are still referenced while co_spawn unwinds
  // from the completion handler, so they are recycled later, at the next delivery (or stop):
  // no posted clean-up per command.
  std::vector<std::uint64_t> finished_;
  std::uint64_t next_key_ = 0;
  bool stopping_ = false;
  bool warned_bad_stats_ = false;
};

}  // namespace megane::detail
