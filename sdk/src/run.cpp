// The runtime behind megane::run<W>(): one io_context on the calling thread, the IPC client,
// the signals, the inbox (commands and events), and the stop sequence (cancel launch and
// command handlers, bounded shutdown(), close, exit). The same for clusters and services.
#include <megane/sdk/run.hpp>

#include <signal.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <megane/sdk/environment.hpp>
#include <megane/sdk/logging.hpp>
#include <megane/sdk/version.hpp>

#include "exception_text.hpp"
#include "inbox.hpp"

namespace megane::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

std::string_view signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "a signal";
  }
}

std::string_view program_name(int argc, char** argv) {
  if (argc < 1 || argv[0] == nullptr) return "megane-worker";
  const std::string_view path = argv[0];
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

class Runtime {
 public:
  Runtime(Environment env, std::shared_ptr<spdlog::logger> logger)
      : env_(std::move(env)),
        logger_(std::move(logger)),
        ipc_(io_.get_executor(), logger_),
        signals_(io_) {}

  int run(const WorkerFactory& make_worker) {
    install_signals();
    asio::co_spawn(io_, start(make_worker), [this](std::exception_ptr e) {
      if (!e) return;
      logger_->error("start-up failed: {}", megane::detail::exception_text(e));
      finish(1);
    });
    io_.run();
    logger_->flush();
    return exit_code_;
  }

 private:
  asio::awaitable<void> start(const WorkerFactory& make_worker);
  void install_signals();
  void wait_for_signal();
  void on_launch_done(const std::exception_ptr& e);
  void stop(int exit_code, std::string_view why, bool call_shutdown = true);
  asio::awaitable<void> stop_sequence(bool call_shutdown);
  asio::awaitable<void> guarded(asio::awaitable<void> step, std::string_view what);
  void finish(int exit_code);

  Environment env_;
  std::shared_ptr<spdlog::logger> logger_;
  // Declaration order is destruction order in reverse: the worker goes first, while the
  // io_context its timers and sockets belong to still exists.
  asio::io_context io_{1};
  IpcClient ipc_;
  asio::signal_set signals_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<Inbox> inbox_;  // after worker_: destroyed first, it refers to the worker
  asio::cancellation_signal launch_cancel_;
  bool launch_running_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

asio::awaitable<void> Runtime::start(const WorkerFactory& make_worker) {
  proto::Hello hello;
  hello.role = env_.role;
  hello.client = fmt::format("libmegane/{}", sdk_version());
  hello.cluster_id = env_.cluster_id;
  hello.service = env_.service;
  hello.generation = env_.generation;
  const std::string self = env_.role == proto::Role::service
                               ? fmt::format("service '{}'", env_.service)
                               : fmt::format("cluster {}", env_.cluster_id);

  const HandshakeResult hs = co_await ipc_.connect(env_.socket, hello);
  if (stopping_) co_return;  // a signal arrived during the handshake
  if (hs.status == IpcStatus::rejected) {
    // The daemon knows why (stale generation, version mismatch...): restarting won't help.
    logger_->error("meganed refused this {}: {} ({})", self, hs.error.message,
                   proto::to_string(hs.error.code));
    finish(do_not_restart);
    co_return;
  }
  if (!hs.ok()) {
    logger_->error("cannot talk to meganed at {}: {}", env_.socket, hs.error.message);
    finish(1);
    co_return;
  }

  const proto::HelloOk& ok = hs.hello_ok;
  if (env_.role == proto::Role::cluster && ok.cluster_id != env_.cluster_id) {
    logger_->warn("meganed calls this cluster {}, the environment says {}", ok.cluster_id,
                  env_.cluster_id);
  }
  WorkerContext context;
  context.io = &io_;
  context.ipc = &ipc_;
  context.logger = logger_;
  context.bot = ok.bot.empty() ? env_.bot : ok.bot;
  context.request_stop = [this](int code) { stop(code, "requested by the worker"); };
  if (env_.role == proto::Role::service) {
    logger_->info("connected to {}: bot '{}', service '{}', generation {}", ok.daemon, context.bot,
                  env_.service, env_.generation);
  } else {
    logger_->info("connected to {}: bot '{}', shards {}-{} of {}, generation {}", ok.daemon,
                  context.bot, ok.first_shard, ok.first_shard + ok.shard_count - 1,
                  ok.total_shards, env_.generation);
  }

  ipc_.on_disconnect([this](const Disconnect& d) {
    if (d.reason == IpcStatus::protocol_error) {
      logger_->error("{}", d.message);
      stop(1, "protocol error on the IPC connection");
    } else {
      stop(0, d.message);
    }
  });

  // No co_await from here to launch(): frames read meanwhile would find no handler.
  worker_ = make_worker(std::move(context), ok, env_);  // a throwing constructor ends up in run()'s handler
  inbox_ = std::make_unique<Inbox>(*worker_, ipc_, io_, logger_);
  ipc_.on_message([this](const proto::FrameHeader& h, proto::ByteView payload) {
    inbox_->dispatch(h, payload);
  });
  inbox_->subscribe();
  launch_running_ = true;
  asio::co_spawn(io_, worker_->launch(),
                 asio::bind_cancellation_slot(launch_cancel_.slot(), [this](std::exception_ptr e) {
                   on_launch_done(e);
                 }));
}

void Runtime::install_signals() {
  for (const int sig : {SIGTERM, SIGINT}) {
    // An inherited or deliberate SIG_IGN is respected (a background job from a script, or a
    // test bot that must not stop): asio would otherwise replace it with its handler.
    struct sigaction current {};
    if (::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
      logger_->debug("{} is ignored in this process; not handling it", signal_name(sig));
      continue;
    }
    error_code ec;
    signals_.add(sig, ec);
    if (ec) logger_->warn("cannot handle {}: {}", signal_name(sig), ec.message());
  }
  wait_for_signal();
}

void Runtime::wait_for_signal() {
  signals_.async_wait([this](const error_code& ec, int sig) {
    if (ec) return;  // cancelled at exit
    if (stopping_) {
      logger_->warn("{} again while stopping: exiting now", signal_name(sig));
      finish(exit_code_);
      return;
    }
    stop(0, fmt::format("received {}", signal_name(sig)));
    wait_for_signal();
  });
}

void Runtime::on_launch_done(const std::exception_ptr& e) {
  launch_running_ = false;
  if (!e) {
    logger_->debug("launch() returned");
  } else if (stopping_) {
    logger_->debug("launch() ended while stopping: {}", megane::detail::exception_text(e));
  } else {
    logger_->error("launch() failed: {}", megane::detail::exception_text(e));
    stop(1, "launch() failed", /*call_shutdown=*/false);
  }
}

void Runtime::stop(int exit_code, std::string_view why, bool call_shutdown) {
  if (stopping_) return;
  stopping_ = true;
  exit_code_ = exit_code;
  logger_->info("stopping: {}", why);
  asio::co_spawn(io_, stop_sequence(call_shutdown), [this](std::exception_ptr e) {
    if (e) logger_->error("stop sequence failed: {}", megane::detail::exception_text(e));
    finish(exit_code_);
  });
}

asio::awaitable<void> Runtime::stop_sequence(bool call_shutdown) {
  using namespace asio::experimental::awaitable_operators;
  // co_spawn runs us inline when stop() is called from inside launch() (request_stop). Asio's
  // co_spawn entry point throws out of io_context::run() if a coroutine is cancelled while it
  // runs and then finishes without ever suspending, so emit only from a fresh handler, when
  // launch() is either suspended or done.
  co_await asio::post(io_, asio::use_awaitable);
  if (launch_running_) launch_cancel_.emit(asio::cancellation_type::terminal);
  if (inbox_) inbox_->cancel_all();
  if (!worker_ || !call_shutdown) co_return;
  // Two deadlines inside meganed's: the bot's shutdown() may not eat the time the SDK needs to
  // close the gateway so the next process RESUMEs from the final seq.
  const auto total = env_.stop_timeout;
  const auto reserve = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(2'000), total / 4);
  auto bot_limit = total - reserve;
  if (const auto wanted = worker_->shutdown_timeout(); wanted.count() > 0) bot_limit = std::min(bot_limit, wanted);
  const auto until = asio::steady_timer::clock_type::now() + total;
  asio::steady_timer deadline(io_);
  deadline.expires_after(bot_limit);
  const auto outcome = co_await (guarded(worker_->shutdown(), "shutdown()") ||
                                 deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  const bool bot_done = outcome.index() == 0;
  if (!bot_done) {
    logger_->warn("shutdown() did not finish within {} ms: cancelled; closing the SDK's connections",
                  bot_limit.count());
  }
  deadline.expires_at(until);
  const auto closed = co_await (guarded(worker_->close_sdk_connections(until), "closing the gateway") ||
                                deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (closed.index() == 1) {
    logger_->warn("closing the SDK's connections did not finish within {} ms of the stop: exiting anyway",
                  total.count());
  } else if (bot_done) {
    logger_->info("shutdown complete");
  }
}

// Never throws into the `||` races above: a throwing operand would make a race wait for its
// deadline instead of finishing.
asio::awaitable<void> Runtime::guarded(asio::awaitable<void> step, std::string_view what) {
  try {
    co_await std::move(step);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) {
      logger_->debug("{} cancelled at the deadline", what);
    } else {
      logger_->error("{} failed: {}", what, e.what());
    }
  } catch (const std::exception& e) {
    logger_->error("{} failed: {}", what, e.what());
  }
}

void Runtime::finish(int exit_code) {
  stopping_ = true;
  exit_code_ = exit_code;
  ipc_.close();
  error_code ignored;
  signals_.cancel(ignored);
  io_.stop();
}

}  // namespace

int run_worker(int argc, char** argv, proto::Role role, const WorkerFactory& make_worker) {
  const std::string_view program = program_name(argc, argv);
  const char* kind = role == proto::Role::service ? "service" : "cluster";
  EnvironmentResult parsed = read_environment();
  if (auto* error = std::get_if<EnvironmentError>(&parsed)) {
    if (error->not_under_meganed) {
      std::fprintf(stderr, "%.*s: this program is a megane %s worker: start it through meganed\n",
                   static_cast<int>(program.size()), program.data(), kind);
    } else {
      std::fprintf(stderr, "%.*s: bad megane environment: %s\n", static_cast<int>(program.size()),
                   program.data(), error->message.c_str());
    }
    return do_not_restart;
  }
  Environment env = std::get<Environment>(std::move(parsed));
  if (const auto mismatch = role_mismatch(env, role)) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(),
                 mismatch->c_str());
    return do_not_restart;
  }

  auto logger = make_logger(role == proto::Role::service ? fmt::format("service {}", env.service)
                                                         : fmt::format("cluster {}", env.cluster_id));
  try {
    Runtime runtime(std::move(env), logger);
    return runtime.run(make_worker);
  } catch (const std::exception& e) {
    // Only a handler that threw out of io_context::run() gets here: a bug, not a state.
    logger->critical("unexpected exception: {}", e.what());
    logger->flush();
    return 1;
  }
}

ClusterContext cluster_context(WorkerContext base, const proto::HelloOk& ok, const Environment& env) {
  ClusterContext c;
  static_cast<WorkerContext&>(c) = std::move(base);
  c.cluster_id = env.cluster_id;
  c.shards = ShardRange{ok.first_shard, ok.shard_count, ok.total_shards};
  c.shard_silence_timeout = env.shard_silence_timeout;
  c.cache_snapshot = env.cache_snapshot;
  c.cache_snapshot_max_bytes = env.cache_snapshot_max_bytes;
  return c;
}

ServiceContext service_context(WorkerContext base, const proto::HelloOk& ok, const Environment& env) {
  ServiceContext c;
  static_cast<WorkerContext&>(c) = std::move(base);
  c.service = env.service;
  c.total_shards = ok.total_shards;
  return c;
}

}  // namespace megane::detail
