// What cluster and service workers have in common: the loop, the IPC connection, the logger,
// readiness, commands in both directions and the daemon's events. A bot derives from
// megane::ClusterWorker or megane::ServiceWorker, never from Worker directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include <megane/proto/fetch_messages.hpp>
#include <megane/proto/protocol.hpp>
#include <megane/proto/stats_messages.hpp>
#include <megane/sdk/commands.hpp>
#include <megane/sdk/fetch.hpp>
#include <megane/sdk/ipc_client.hpp>
#include <megane/sdk/store.hpp>

namespace megane {

// The part of ClusterContext / ServiceContext that every worker gets from megane::run.
struct WorkerContext {
  boost::asio::io_context* io = nullptr;
  IpcClient* ipc = nullptr;
  std::shared_ptr<spdlog::logger> logger;
  std::string bot;
  std::function<void(int)> request_stop;  // see Worker::request_stop
};

class Worker {
 public:
  explicit Worker(WorkerContext context);
  virtual ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the worker, then tells meganed it is ready (ClusterWorker::report_ready,
  // ServiceWorker::send_ready). It may return once things run (the process stays up until it
  // is stopped) or keep running; when the process stops, a launch() still running is
  // cancelled (its pending operation fails with operation_aborted) before shutdown() is
  // called. An exception escaping launch() ends the process with exit code 1.
  virtual boost::asio::awaitable<void> launch() = 0;

  // Closes everything cleanly. Called once, on SIGTERM/SIGINT or when the daemon goes away,
  // and awaited with a deadline: shutdown_timeout() if set, and never longer than meganed
  // allows (MEGANE_STOP_TIMEOUT_MS, from [supervision] stop_timeout) minus a share kept for the
  // SDK's own closing (a cluster's gateway: close frames, final seqs to meganed), the smaller
  // of 2 s and a quarter. At the deadline the pending operation is cancelled
  // (operation_aborted), the SDK closes its connections and the process exits 0.
  virtual boost::asio::awaitable<void> shutdown();

  // The deadline this bot wants for shutdown(); 0 (the default) = as long as meganed allows.
  // A longer one is cut to that: meganed sends SIGKILL after stop_timeout.
  virtual std::chrono::milliseconds shutdown_timeout() const;

  // Called by megane::run after shutdown(), within the same deadline (`deadline`, the end of
  // the whole stop): closes what the SDK itself opened (a cluster's gateway connections) and
  // saves what it keeps (a cluster's cache snapshot). Not for bots to call or override.
  virtual boost::asio::awaitable<void> close_sdk_connections(std::chrono::steady_clock::time_point deadline);

  // The bot's own statistics, merged under "custom" in `meganectl stats` (docs/sdk.md#statistics):
  // one JSON object as text, e.g. R"({"cache_hits":1200})", or "" for none (the default).
  // Called on the worker's loop once per [stats] interval when meganed asks, so it must be
  // quick and must not block. Anything that is not a JSON object is dropped with a warning;
  // an exception is logged and the report goes without custom stats.
  virtual std::string get_stats();

  // Called by the SDK when meganed asks for statistics: fills in what the SDK itself knows (a
  // cluster's shards). Not for bots to call or override.
  virtual void collect_sdk_stats(proto::WorkerStats& out) const;

  // Answers a command another process sent to this one. Runs on the worker's loop, possibly
  // before launch() finished; several may run at once (each is its own coroutine). When the
  // awaitable completes, the SDK sends the result if the sender waits for one; an exception
  // escaping it is logged and becomes an error answer with the exception's text. Handlers
  // still running when the process stops are cancelled.
  virtual boost::asio::awaitable<CommandResult> handle_command(const CommandRequest& request) = 0;

  // Events from meganed (docs/protocol.md#events), for the kinds in event_mask() plus
  // all_clusters_ready, which the SDK always subscribes to. on_event is called for every
  // event; all_clusters_ready() additionally for that one (once per daemon start, at once
  // if it already happened when this process subscribed).
  virtual void on_event(proto::EventKind kind, std::string_view json);
  virtual void all_clusters_ready();
  // Once per daemon start, when every cluster reported that its cache_all_members requests
  // are complete (docs/sdk.md#cache); at once if that already happened when this process
  // subscribed. Default: nothing.
  virtual void all_clusters_members_cached();
  // Extra event kinds to subscribe to at start: proto::event_bit(kind) | ... Default none.
  virtual std::uint32_t event_mask() const;

  // Sends `data` to the service `service`. Receptive (the default): completes with its
  // answer or why there is none, by the daemon's deadline (options.timeout, or meganed's
  // ipc.request_timeout when it is 0); on its own it waits at most command_deadline_margin
  // longer (see CommandOptions). Not receptive: completes once the frame is queued.
  boost::asio::awaitable<CommandReply> send_service_command(std::string service, std::string data,
                                                            CommandOptions options = {});
  // Sends `data` to the clusters `target` picks; one result per cluster, in id order.
  boost::asio::awaitable<ClusterCommandReply> send_cluster_command(Target target, std::string data,
                                                                   CommandOptions options = {});

  // Fetches from the clusters' caches (fetch.hpp). Each completes within `timeout` plus
  // command_deadline_margin. A guild goes to the cluster that owns it; with include_members
  // its members (each with its user) come too. A channel or a user is asked of every cluster
  // and the first hit answers.
  boost::asio::awaitable<FetchReply> fetch_guild(std::uint64_t id, bool include_members = false,
                                                 std::chrono::milliseconds timeout = default_fetch_timeout);
  boost::asio::awaitable<FetchReply> fetch_channel(std::uint64_t id,
                                                   std::chrono::milliseconds timeout = default_fetch_timeout);
  boost::asio::awaitable<FetchReply> fetch_user(std::uint64_t id,
                                                std::chrono::milliseconds timeout = default_fetch_timeout);
  // Batches (at most proto::max_fetch_ids ids): one request, one reply per id in the order
  // given. Build the vector before the co_await (g++ 12, see docs/sdk.md#pitfalls).
  boost::asio::awaitable<std::vector<FetchReply>> fetch_guilds(
      std::vector<std::uint64_t> ids, bool include_members = false,
      std::chrono::milliseconds timeout = default_fetch_timeout);
  boost::asio::awaitable<std::vector<FetchReply>> fetch_channels(
      std::vector<std::uint64_t> ids, std::chrono::milliseconds timeout = default_fetch_timeout);
  boost::asio::awaitable<std::vector<FetchReply>> fetch_users(
      std::vector<std::uint64_t> ids, std::chrono::milliseconds timeout = default_fetch_timeout);

  // Answers a fetch another process sent to this one: the entity's JSON from this process's
  // cache, or nullopt. Called by the SDK on the loop; a cluster answers from its cache, other
  // workers have none. Not for bots to call or override.
  virtual std::optional<std::string> cached_json(proto::FetchKind kind, std::uint64_t id, bool include_members) const;

  const std::string& bot_name() const noexcept { return context_.bot; }
  boost::asio::io_context& io() const noexcept { return *context_.io; }
  IpcClient& ipc() const noexcept { return *context_.ipc; }
  Store store() const noexcept { return Store(*context_.ipc); }  // the central store (store.hpp)
  spdlog::logger& logger() const noexcept { return *context_.logger; }

  bool ready_reported() const noexcept { return ready_reported_; }

  // Asks the SDK to stop the process: launch() is cancelled, shutdown() runs, and the process
  // exits with `exit_code` (megane::do_not_restart to keep meganed from restarting it).
  void request_stop(int exit_code = 0);

 protected:
  const WorkerContext& worker_context() const noexcept { return context_; }

  // Sends `ready` the first time; later calls do nothing. `what` ends the log line
  // ("reported ready (4 shards)").
  void mark_ready(std::string_view what);

 private:
  boost::asio::awaitable<std::vector<FetchReply>> fetch(proto::FetchKind kind, std::vector<std::uint64_t> ids,
                                                        bool include_members, std::chrono::milliseconds timeout);

  WorkerContext context_;
  bool ready_reported_ = false;
};

}  // namespace megane
