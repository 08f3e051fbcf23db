// meganed as a whole: wires the config, the plan, the supervisor and the IPC server onto one
// io_context, routes frames to their handlers, and runs the start and stop sequences.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cache_reports.hpp"
#include "config.hpp"
#include "command_router.hpp"
#include "connection.hpp"
#include "event_hub.hpp"
#include "gateway/gateway_bot_fetcher.hpp"
#include "gateway/gateway_service.hpp"
#include "gateway/token.hpp"
#include "ipc_server.hpp"
#include "loop/spin_window.hpp"
#include "metrics/metrics_server.hpp"
#include "metrics/shard_health.hpp"
#include "notify/notifier.hpp"
#include "reload/reload_plan.hpp"
#include "restarts/rolling_restart.hpp"
#include "stats/stats_collector.hpp"
#include "store_service.hpp"
#include "supervisor.hpp"

namespace megane::daemon {

class Daemon final : public ConnectionHandler {
 public:
  // `token` is set exactly when the config has a [gateway] section.
  Daemon(boost::asio::io_context& io, Config config, std::optional<BotToken> token);
  ~Daemon() override;

  // Asks /gateway/bot first when there is a [gateway] section, then listens, spawns the plan
  // and runs until stopped. Returns the process exit code.
  int run();
  // The part of run() before the socket listens and children spawn: loads the store, builds
  // the supervisor, router and (not yet listening) server. 0, or the exit code to stop with.
  // On its own it lets the dispatch fuzz target feed on_frame() with no socket and no child.
  int prepare();
  // Starts, re-configures or ends notifications ([notifications]): the single entry point for
  // start and for a config reload (which passes the new file's section).
  void apply_notifications(const std::optional<NotificationsConfig>& config);

  // Re-reads the config file and applies what can change while running (`meganectl reload`,
  // SIGHUP). A file that does not load changes nothing: the error comes back instead.
  std::variant<ReloadReport, ConfigError> reload(std::string_view origin);

  void on_read(Connection& conn) override;
  void on_frame(Connection& conn, const proto::FrameView& frame) override;
  void on_close(Connection& conn) override;

 private:
  // Opens the store, listens and spawns the plan; non-zero: the exit code.
  int start();
  void on_gateway_bot(FetchResult result);
  void handle_gateway(Connection& conn, const proto::FrameView& frame);
  void handle_hello(Connection& conn, const proto::FrameView& frame);
  void handle_restart(Connection& conn, const proto::FrameView& frame);
  void handle_restart_service(Connection& conn, const proto::FrameView& frame);
  void handle_rolling_restart(Connection& conn, const proto::FrameView& frame);
  void handle_reload(Connection& conn, const proto::FrameView& frame);
  // Tells every part that reads the config at run time that it changed.
  void apply_reloaded();
  // The IPC server's settings from config_.ipc (at start, and again after a reload).
  IpcServerOptions server_options() const;
  void wait_reload_signal();
  void restart_child(Connection& conn, std::uint32_t request_id, proto::MessageType reply_type,
                     Child& child, bool wait_ready);
  void begin_shutdown(std::string_view why);
  void wait_signals();
  void reap_children();
  void tick();
  bool start_metrics();
  // Calls f for every planned shard: up = its cluster is ready and (with a gateway) the shard is READY.
  void for_each_shard_state(const std::function<void(std::uint32_t shard, std::uint32_t cluster, bool up)>& f) const;
  void observe_shards();
  HttpReply answer_http(std::string_view path);

  boost::asio::io_context& io_;
  Config config_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<IpcServer> server_;
  std::unique_ptr<CommandRouter> router_;
  std::unique_ptr<StoreService> store_;
  std::unique_ptr<StatsCollector> stats_;
  std::unique_ptr<CacheReports> cache_reports_;
  std::unique_ptr<ShardHealth> health_;       // with [metrics]
  std::unique_ptr<MetricsServer> metrics_;    // with [metrics]
  std::unique_ptr<RollingRestart> rolling_;
  // Declared in this order: the service refers to the token and the fetcher.
  std::optional<BotToken> token_;
  std::unique_ptr<GatewayBotFetcher> fetcher_;
  std::unique_ptr<GatewayService> gateway_;
  std::unique_ptr<Notifier> notifier_;      // with [notifications]; refers to token_
  EventHub events_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set child_signal_;
  boost::asio::signal_set reload_signal_;  // SIGHUP
  boost::asio::steady_timer ticker_;
  boost::asio::steady_timer shutdown_deadline_;
  std::chrono::steady_clock::time_point started_at_;
  SpinWindow spin_;  // how long the loop looks for work before it sleeps ([ipc] busy_poll_us)
  std::chrono::steady_clock::time_point next_ping_{};
  std::chrono::steady_clock::time_point next_watchdog_{};
  std::uint32_t next_ping_id_ = 1;
  bool shutting_down_ = false;
  int exit_code_ = 0;
};

}  // namespace megane::daemon
