#include "daemon.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <megane/proto/messages.hpp>
#include <spdlog/spdlog.h>

#include "cache_snapshot_dir.hpp"
#include "child_process.hpp"
#include "cpu_set.hpp"
#include "json_writer.hpp"
#include "log_level.hpp"
#include "loop/busy_poll_loop.hpp"
#include "gateway/gateway_bot.hpp"
#include "plan.hpp"
#include "metrics/metrics_text.hpp"
#include "stats/stats_json.hpp"
#include "status_report.hpp"
#include "systemd_notify.hpp"
#include "version.hpp"

namespace megane::daemon {

namespace asio = boost::asio;
using proto::ErrorCode;
using proto::MessageType;

namespace {

constexpr auto tick_interval = std::chrono::milliseconds(250);
// How long GET /gateway/bot is retried at start before meganed gives up (exit 69).
constexpr auto startup_fetch_limit = std::chrono::seconds(30);

}  // namespace

Daemon::Daemon(asio::io_context& io, Config config, std::optional<BotToken> token)
    : io_(io),
      config_(std::move(config)),
      log_(spdlog::default_logger()),
      token_(std::move(token)),
      stop_signals_(io, SIGTERM, SIGINT),
      child_signal_(io, SIGCHLD),
      reload_signal_(io, SIGHUP),
      ticker_(io),
      shutdown_deadline_(io),
      started_at_(std::chrono::steady_clock::now()),
      spin_(std::chrono::microseconds(config_.ipc.busy_poll_us)) {}

Daemon::~Daemon() {
  // Connections call back into us while closing: close them while everything still exists.
  if (server_) server_->stop();
}

int Daemon::run() {
  // Orphaned grandchildren are re-parented to us, so we reap them and no zombie piles up.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  wait_signals();
  reap_children();

  if (config_.gateway && token_) {
    // Before planning: "auto" shards and the identify budget come from Discord. Nothing
    // listens or runs yet, so waiting here holds nobody up.
    fetcher_ = std::make_unique<GatewayBotFetcher>(io_, *config_.gateway, *token_, log_);
    log_->info("asking {}/gateway/bot for the recommended shards and the identify budget", config_.gateway->api_url);
    fetcher_->fetch(startup_fetch_limit, [this](FetchResult result) { on_gateway_bot(std::move(result)); });
  } else if (const int rc = start(); rc != 0) {
    return rc;
  }
  run_busy_polling(io_, spin_);
  return exit_code_;
}

void Daemon::on_gateway_bot(FetchResult result) {
  if (shutting_down_) return;
  if (auto* failure = std::get_if<FetchFailure>(&result)) {
    // 401: the token is wrong, restarting will not help (EX_CONFIG); anything else is Discord
    // or the network being unavailable (EX_UNAVAILABLE), which a later restart may fix.
    log_->error("{}", failure->message);
    exit_code_ = failure->token_rejected ? 78 : 69;
    io_.stop();
    return;
  }
  const auto& info = std::get<GatewayBotInfo>(result);
  log_->info("/gateway/bot: {} shards recommended, {} of {} identifies left (resets in {} s), max_concurrency {}",
             info.shards, info.session_remaining, info.session_total, info.reset_after.count() / 1000,
             info.max_concurrency);
  ShardingConfig& sharding = config_.sharding;
  if (sharding.mode != ShardMode::fixed) {
    sharding.shards = plan_shard_count(sharding.mode, sharding.shards, info.shards, sharding.guilds_per_shard);
    log_->info("shards = \"{}\": {} shards ({} recommended at 1000 guilds per shard, {} guilds per shard{})",
               sharding.mode == ShardMode::automatic ? "auto" : "auto-lbs", sharding.shards, info.shards,
               sharding.guilds_per_shard, sharding.mode == ShardMode::automatic_lbs ? ", rounded up to 16" : "");
    if (sharding.clusters && *sharding.clusters > sharding.shards) {
      log_->warn("sharding.clusters = {} but only {} shards: running {} clusters", *sharding.clusters,
                 sharding.shards, sharding.shards);
    }
  }
  gateway_ = std::make_unique<GatewayService>(io_, *config_.gateway, *token_, *fetcher_, info, sharding.shards, log_);
  gateway_->on_event = [this](proto::EventKind kind, const std::string& json) { events_.publish(kind, json); };
  if (const int rc = start(); rc != 0) {
    exit_code_ = rc;
    gateway_->stop();
    io_.stop();
  }
}

int Daemon::prepare() {
  const auto cpus = config_.sharding.cores.empty() ? allowed_cpus() : config_.sharding.cores;
  Plan plan = make_plan(config_.sharding.shards, config_.sharding.clusters, cpus);
  log_->info("meganed {} for bot '{}': {}", megane_version, config_.name, plan.describe());

  // The store first: a corrupt log must stop us before anything is spawned or listening.
  store_ = std::make_unique<StoreService>(io_, config_.store, log_);
  if (std::string error; !store_->open(error)) {
    log_->error("{}", error);
    return 65;  // EX_DATAERR: restarting will not fix it
  }

  server_ = std::make_unique<IpcServer>(io_, server_options(), *this);

  supervisor_ = std::make_unique<Supervisor>(io_, config_, std::move(plan), find_launcher(),
                                             config_.ipc.socket, log_);
  router_ = std::make_unique<CommandRouter>(io_, *supervisor_, config_.ipc.request_timeout);
  supervisor_->on_progress = [](const std::string& text) { systemd::status(text); };
  supervisor_->on_event = [this](proto::EventKind kind, const std::string& json) { events_.publish(kind, json); };
  supervisor_->waiting_for_identify = [this](const Child& c) {
    return gateway_ && c.kind == ChildKind::cluster && gateway_->identify_busy(c.generation);
  };
  supervisor_->set_snapshot_dir(prepare_snapshot_dir(config_.cache_snapshots, *log_));
  rolling_ = std::make_unique<RollingRestart>(io_, *supervisor_, log_);
  rolling_->on_event = [this](proto::EventKind kind, const std::string& json) { events_.publish(kind, json); };
  supervisor_->on_process_exit = [this](const Child& c) {
    if (gateway_ && c.kind == ChildKind::cluster) gateway_->process_exited(c, c.generation);
    rolling_->on_process_exit(c);
  };
  supervisor_->on_all_ready = [this] {
    systemd::status("all clusters ready");
    events_.publish(proto::EventKind::all_clusters_ready,
                    fmt::format("{{\"type\":\"all_clusters_ready\",\"clusters\":{},\"shards\":{}}}",
                                supervisor_->cluster_count(), supervisor_->plan().total_shards));
  };
  cache_reports_ = std::make_unique<CacheReports>(config_.cache, config_.source, supervisor_->cluster_count());
  cache_reports_->on_event = [this](proto::EventKind kind, const std::string& json) { events_.publish(kind, json); };
  // Built here, started in start(): a prepared daemon (the fuzz target) answers `stats` too.
  stats_ = std::make_unique<StatsCollector>(io_, config_.stats, *supervisor_, *router_, started_at_, log_);
  stats_->on_event = [this](proto::EventKind kind, const std::string& json) { events_.publish(kind, json); };
  events_.listen([this](proto::EventKind kind, const std::string& json) {
    if (notifier_) notifier_->on_event(proto::to_string(kind), json);
  });
  return 0;
}

void Daemon::apply_notifications(const std::optional<NotificationsConfig>& config) {
  if (!config) {
    if (notifier_) log_->info("notifications: off");
    notifier_.reset();
    return;
  }
  if (!notifier_) notifier_ = std::make_unique<Notifier>(io_, config_.name, token_ ? &*token_ : nullptr, log_);
  notifier_->apply(*config);
}

int Daemon::start() {
  if (const int rc = prepare(); rc != 0) return rc;
  std::string error;
  if (!server_->listen(error)) {
    log_->error("{}", error);
    return 1;
  }
  log_->info("listening on {}", config_.ipc.socket.string());

  if (!start_metrics()) return 1;
  apply_notifications(config_.notifications);  // before the spawns: their first exits count
  supervisor_->start_all();
  stats_->start();
  systemd::ready(fmt::format("spawned {} clusters", supervisor_->children().size()));
  tick();
  return 0;
}

void Daemon::wait_reload_signal() {
  reload_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!shutting_down_ && supervisor_) reload("SIGHUP");
    wait_reload_signal();
  });
}

void Daemon::wait_signals() {
  wait_reload_signal();
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    begin_shutdown(fmt::format("signal {}", strsignal(sig)));
    wait_signals();
  });
}

void Daemon::reap_children() {
  child_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
      if (supervisor_) supervisor_->on_exit(pid, status);
    reap_children();
  });
}

void Daemon::tick() {
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_ping_) {
    next_ping_ = now + config_.supervision.heartbeat_interval;
    server_->for_each([this](Connection& c) {
      if (c.handshaken && c.role == proto::Role::cluster) c.send(MessageType::ping, 0, next_ping_id_++, {});
    });
  }
  if (auto wd = systemd::watchdog_interval(); wd && now >= next_watchdog_) {
    next_watchdog_ = now + *wd;
    systemd::watchdog();
  }
  if (!shutting_down_) supervisor_->check_liveness();
  observe_shards();
  store_->tick();
  ticker_.expires_after(tick_interval);
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

bool Daemon::start_metrics() {
  if (!config_.metrics) return true;
  const MetricsConfig& m = *config_.metrics;
  health_ = std::make_unique<ShardHealth>(supervisor_->plan().total_shards, started_at_);
  metrics_ = std::make_unique<MetricsServer>(io_, log_, [this](std::string_view path) { return answer_http(path); });
  std::string error;
  if (!metrics_->listen(m.host, m.port, error)) {
    log_->error("{}", error);
    return false;
  }
  log_->info("metrics: serving http://{}:{}/metrics and /healthz", m.host.find(':') == std::string::npos ? m.host : "[" + m.host + "]",
             m.port);
  return true;
}

void Daemon::for_each_shard_state(const std::function<void(std::uint32_t shard, std::uint32_t cluster, bool up)>& f) const {
  for (const auto& cp : supervisor_->children()) {
    const Child& c = *cp;
    if (c.kind != ChildKind::cluster) continue;
    const bool cluster_up = c.state == ChildState::ready;
    for (std::uint32_t s = c.plan.first_shard; s < c.plan.first_shard + c.plan.shard_count; ++s) {
      f(s, c.plan.id, cluster_up && (!gateway_ || gateway_->shard(s).state == proto::ShardState::ready));
    }
  }
}

void Daemon::observe_shards() {
  // While stopping, every shard goes down on purpose: nothing to tell anyone.
  Notifier* notifier = shutting_down_ ? nullptr : notifier_.get();
  if (!health_ && !notifier) return;
  const auto now = std::chrono::steady_clock::now();
  for_each_shard_state([&](std::uint32_t shard, std::uint32_t cluster, bool up) {
    if (health_) health_->observe(shard, up, now);
    if (notifier) notifier->observe_shard(shard, cluster, up, now);
  });
  if (!notifier) return;
  notifier->observe_shards_done(now);
  if (gateway_) {
    const IdentifyQueue& q = gateway_->identify_queue();
    notifier->observe_identify_budget(q.remaining(), gateway_->identify_daily_limit(), q.reserve());
  }
}

HttpReply Daemon::answer_http(std::string_view path) {
  HttpReply reply;
  if (path == "/metrics") {
    MetricsInput in;
    in.stats = &stats_->latest();
    in.bot = config_.name;
    in.version = megane_version;
    in.gateway = gateway_ != nullptr;
    if (gateway_) {
      const IdentifyQueue& q = gateway_->identify_queue();
      in.identify = IdentifyFigures{q.remaining(), gateway_->identify_daily_limit(), q.reserve(), q.in_flight(),
                                    static_cast<std::uint64_t>(q.waiting())};
    }
    if (notifier_) {
      const Notifier::Figures& f = notifier_->figures();
      in.notifications = NotificationFigures{f.messages_sent, f.notices_sent, f.notices_dropped, f.messages_failed,
                                             f.rate_limited};
    }
    reply.content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    reply.body = metrics_text(in);
    return reply;
  }
  if (path == "/healthz") {
    // Judged on the shards' state now, not as of the last tick (up to 250 ms old): a shard that
    // came up since must not be reported down.
    const auto now = std::chrono::steady_clock::now();
    for_each_shard_state([&](std::uint32_t shard, std::uint32_t, bool up) { health_->observe(shard, up, now); });
    const auto down = health_->down_longer_than(config_.metrics->unhealthy_after, now);
    if (down.empty()) {
      reply.body = "ok\n";
      return reply;
    }
    reply.status = 503;
    reply.body = fmt::format("unhealthy: {} shards down for more than {} ms\n", down.size(),
                             config_.metrics->unhealthy_after.count());
    for (const auto& d : down) reply.body += fmt::format("shard {} down for {:.1f}s\n", d.shard, d.seconds);
    return reply;
  }
  reply.status = 404;
  reply.body = "not found: try /metrics or /healthz\n";
  return reply;
}

void Daemon::begin_shutdown(std::string_view why) {
  if (shutting_down_) {
    log_->info("already stopping ({}); children get SIGKILL after the stop timeout", why);
    return;
  }
  shutting_down_ = true;
  if (!supervisor_) {
    // Still asking /gateway/bot: nothing runs yet.
    log_->info("stopping ({}) before anything was started", why);
    if (fetcher_) fetcher_->cancel();
    stop_signals_.cancel();
    child_signal_.cancel();
    reload_signal_.cancel();
    io_.stop();
    return;
  }
  log_->info("stopping ({}): terminating {} clusters", why, supervisor_->children().size());
  rolling_->abort(fmt::format("meganed is stopping ({})", why));
  reload_signal_.cancel();
  stats_->stop();
  if (metrics_) metrics_->stop();
  systemd::stopping();
  // Bounded: if anything is still alive well after SIGKILL went out, give up on it.
  shutdown_deadline_.expires_after(config_.supervision.stop_timeout + std::chrono::seconds(5));
  shutdown_deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    log_->error("children still present after the stop deadline; exiting anyway");
    server_->stop();
    store_->stop();
    io_.stop();
  });
  supervisor_->stop_all([this] {
    log_->info("all clusters stopped");
    shutdown_deadline_.cancel();
    server_->stop();
    if (gateway_) gateway_->stop();
    stats_->stop();
    store_->stop();  // after the clusters: their last writes are in
    ticker_.cancel();
    stop_signals_.cancel();
    child_signal_.cancel();
    io_.stop();
  });
}

void Daemon::on_read(Connection& conn) {
  // Any bytes from a child prove it alive, pongs included; its hello counts on acceptance.
  if (conn.handshaken && conn.role != proto::Role::control) supervisor_->on_seen(conn.child_index, conn.generation);
}

void Daemon::on_frame(Connection& conn, const proto::FrameView& frame) {
  if (!conn.handshaken) {
    handle_hello(conn, frame);
    return;
  }
  const auto& h = frame.header;
  const bool control_peer = conn.role == proto::Role::control;
  if (h.has(proto::FrameFlags::reply)) {
    // Pongs only prove life (on_read); command results go back to whoever asked.
    if (h.type == MessageType::command_result || h.type == MessageType::fetch_result) router_->on_result(conn, frame);
    else if (h.type == MessageType::stats_report && !control_peer) stats_->on_report(conn, frame);
    return;
  }

  const bool control = conn.role == proto::Role::control;
  switch (h.type) {
    case MessageType::ready:
      if (!control) supervisor_->on_ready(conn.child_index, conn.generation);
      return;
    case MessageType::status: {
      DaemonInfo info{config_.name, config_.ipc.socket, started_at_};
      const std::string json = status_json(*supervisor_, info, gateway_.get());
      conn.reply(MessageType::status, h.request_id,
                 {reinterpret_cast<const std::uint8_t*>(json.data()), json.size()});
      return;
    }
    case MessageType::stats: {
      const std::string json = stats_json(stats_->latest(), config_.name, std::chrono::steady_clock::now());
      conn.reply(MessageType::stats, h.request_id, {reinterpret_cast<const std::uint8_t*>(json.data()), json.size()});
      return;
    }
    case MessageType::service_command:
      router_->service_command(conn, frame);
      return;
    case MessageType::store_get:
    case MessageType::store_set:
    case MessageType::store_delete:
    case MessageType::store_increment:
    case MessageType::store_compare_and_set:
    case MessageType::store_expire:
    case MessageType::store_keys:
      store_->handle(conn, frame);
      return;
    case MessageType::cluster_command:
      router_->cluster_command(conn, frame);
      return;
    case MessageType::fetch:
      router_->fetch(conn, frame);
      return;
    case MessageType::cache_config:
      if (conn.role != proto::Role::cluster) break;
      cache_reports_->cache_config(conn, frame);
      return;
    case MessageType::members_cached:
      if (conn.role != proto::Role::cluster) break;
      cache_reports_->members_cached(conn.cluster_id);
      if (h.request_id != 0) conn.reply(MessageType::members_cached, h.request_id, {});
      return;
    case MessageType::subscribe: {
      proto::Subscribe sub;
      if (!proto::decode(frame.payload, sub)) {
        conn.reply_error(h.request_id, ErrorCode::malformed, "malformed subscribe");
        return;
      }
      conn.reply(MessageType::subscribe, h.request_id, {});
      events_.subscribe(conn, sub.mask);  // after the reply: a replayed event must follow it
      return;
    }
    case MessageType::restart_cluster:
      if (!control) break;
      handle_restart(conn, frame);
      return;
    case MessageType::restart_service:
      if (!control) break;
      handle_restart_service(conn, frame);
      return;
    case MessageType::rolling_restart:
      if (!control) break;
      handle_rolling_restart(conn, frame);
      return;
    case MessageType::reload:
      if (!control) break;
      handle_reload(conn, frame);
      return;
    case MessageType::shutdown:
      if (!control) break;
      conn.reply(MessageType::shutdown, h.request_id, {});
      begin_shutdown(fmt::format("shutdown requested by uid {} (pid {})", conn.peer().uid, conn.peer().pid));
      return;
    case MessageType::goodbye:
      conn.close_after_flush("goodbye");
      return;
    case MessageType::ping:
      conn.reply(MessageType::pong, h.request_id, {});
      return;
    case MessageType::gateway_config:
    case MessageType::identify_permit:
    case MessageType::identify_done:
    case MessageType::session_update:
    case MessageType::shard_status:
      if (!gateway_ || conn.role == proto::Role::cluster) {
        handle_gateway(conn, frame);
        return;
      }
      break;  // a control or service peer: not_allowed below
    case MessageType::hello:
    case MessageType::hello_ok:
    case MessageType::error:
    case MessageType::pong:
    case MessageType::stop_cluster:
    case MessageType::command_deliver:
    case MessageType::command_result:
    case MessageType::fetch_deliver:
    case MessageType::fetch_result:
    case MessageType::stats_request:
    case MessageType::stats_report:
    case MessageType::event:
    default:
      if (h.request_id != 0) {
        conn.reply_error(h.request_id, ErrorCode::unknown_message,
                         fmt::format("message type {:#06x} is not handled by meganed {}",
                                     static_cast<unsigned>(h.type), megane_version));
      }
      return;
  }
  conn.reply_error(h.request_id, ErrorCode::not_allowed,
                   fmt::format("a {} may not send {}", proto::to_string(conn.role), proto::to_string(h.type)));
}

void Daemon::handle_gateway(Connection& conn, const proto::FrameView& frame) {
  const auto& h = frame.header;
  if (!gateway_) {
    if (h.request_id != 0) {
      conn.reply_error(h.request_id, ErrorCode::not_found,
                       fmt::format("no [gateway] section in {}", config_.source.string()));
    }
    return;
  }
  const Child& cluster = *supervisor_->children().at(conn.child_index);
  if (cluster.generation != conn.generation || cluster.pid <= 0) {
    // A connection left over from a process that has already exited.
    if (h.request_id != 0) conn.reply_error(h.request_id, ErrorCode::not_allowed, "this process is no longer the cluster's");
    return;
  }
  gateway_->handle(conn, frame, cluster);
}

void Daemon::handle_hello(Connection& conn, const proto::FrameView& frame) {
  const auto& h = frame.header;
  auto refuse = [&](ErrorCode code, const std::string& message) {
    log_->warn("connection {} (pid {}): refused: {}", conn.id(), conn.peer().pid, message);
    conn.reply_error(h.request_id, code, message);
    conn.close_after_flush("handshake refused");
  };
  if (h.type != MessageType::hello) {
    refuse(ErrorCode::bad_handshake, "the first frame must be a hello");
    return;
  }
  const auto version = proto::peek_hello_version(frame.payload);
  if (version && *version != proto::protocol_version) {
    refuse(ErrorCode::version_mismatch,
           fmt::format("this meganed speaks protocol version {}, the client speaks {}; "
                       "rebuild the client against a matching libmegane",
                       proto::protocol_version, *version));
    return;
  }
  proto::Hello hello;
  if (!proto::decode(frame.payload, hello)) {
    refuse(ErrorCode::malformed, "malformed hello");
    return;
  }
  proto::HelloOk ok;
  ok.daemon = fmt::format("meganed/{}", megane_version);
  ok.bot = config_.name;
  ok.total_shards = supervisor_->plan().total_shards;
  ok.heartbeat_interval_ms = static_cast<std::uint32_t>(config_.supervision.heartbeat_interval.count());
  Child* child = nullptr;
  switch (hello.role) {
    case proto::Role::cluster:
    case proto::Role::service: {
      std::string error;
      child = hello.role == proto::Role::cluster
                  ? supervisor_->accept_hello(hello.cluster_id, hello.generation, error)
                  : supervisor_->accept_service_hello(hello.service, hello.generation, error);
      if (!child) {
        refuse(ErrorCode::bad_handshake, error);
        return;
      }
      ok.cluster_id = child->plan.id;
      ok.first_shard = child->plan.first_shard;
      ok.shard_count = child->plan.shard_count;
      log_->debug("{}: connected (pid {})", child->label, conn.peer().pid);
      break;
    }
    case proto::Role::control:
      break;
  }
  conn.handshaken = true;
  conn.role = hello.role;
  conn.cluster_id = hello.cluster_id;
  conn.generation = hello.generation;
  if (child) {
    conn.child_index = child->index;
    router_->attach(*child, conn);
  }
  const auto payload = proto::encode(ok);
  conn.reply(MessageType::hello_ok, h.request_id, payload);
}


void Daemon::on_close(Connection& conn) {
  if (server_) server_->forget(conn);
  events_.unsubscribe(conn.id());
  if (router_) router_->detach(conn);
  if (gateway_ && conn.handshaken && conn.role == proto::Role::cluster && conn.child_index < supervisor_->children().size())
    gateway_->connection_closed(*supervisor_->children()[conn.child_index], conn.generation);
  if (conn.handshaken && conn.role != proto::Role::control && conn.child_index < supervisor_->children().size())
    log_->debug("{}: disconnected", supervisor_->children()[conn.child_index]->label);
}

}  // namespace megane::daemon
