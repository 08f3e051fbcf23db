// What the daemon sends a worker on its own initiative: commands (command_deliver), fetches
// (fetch_deliver, answered at once from the worker's cache) and events. Each command runs in
// a coroutine of its own on the worker's loop (CommandRunners), so a slow handler never holds
// up the next one; its result goes back as a command_result reply.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <megane/proto/frame.hpp>
#include <megane/sdk/ipc_client.hpp>
#include <megane/sdk/worker.hpp>

#include "command_runners.hpp"

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
  boost::asio::awaitable<void> handle(Delivery& delivery);
  boost::asio::awaitable<void> request_events(std::uint32_t mask);
  void answer(std::uint32_t request_id, const CommandRequest& request, const CommandResult& result);

  Worker& worker_;
  IpcClient& ipc_;
  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> logger_;
  CommandRunners runners_;
  bool stopping_ = false;
  bool warned_bad_stats_ = false;
};

}  // namespace megane::detail
