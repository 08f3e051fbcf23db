#include <megane/sdk/gateway.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include <megane/sdk/exit_codes.hpp>

#include "gateway_impl.hpp"

namespace megane {
namespace {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

}  // namespace

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() = default;

void Gateway::on(std::string_view event, DispatchHandler handler) {
  auto it = impl_->handlers.find(event);
  if (it == impl_->handlers.end()) it = impl_->handlers.emplace(std::string(event), std::vector<DispatchHandler>{}).first;
  it->second.push_back(std::move(handler));
}

void Gateway::on_any(DispatchHandler handler) { impl_->any_handlers.push_back(std::move(handler)); }

bool Gateway::send(std::uint32_t shard_id, std::string payload) {
  for (auto& shard : impl_->shards) {
    if (shard->id() == shard_id) {
      shard->send(std::move(payload));
      return true;
    }
  }
  return false;
}

std::vector<ShardReport> Gateway::shards() const {
  std::vector<ShardReport> out;
  out.reserve(impl_->shards.size());
  for (const auto& shard : impl_->shards) {
    ShardReport r;
    r.status = shard->status();
    r.identifies = shard->counters().identifies;
    r.resumes = shard->counters().resumes;
    r.dispatches = shard->counters().dispatches;
    r.reconnects = shard->counters().reconnects;
    r.silences = shard->counters().silences;
    out.push_back(std::move(r));
  }
  return out;
}

std::size_t Gateway::shards_ready() const { return impl_->ready_count(); }
bool Gateway::started() const { return !impl_->shards.empty(); }

Gateway::Impl::Impl(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> log,
                    std::function<void(int)> stop)
    : executor(std::move(ex)), logger(std::move(log)), request_stop(std::move(stop)), changed(executor), stopped(executor) {
  changed.expires_at(Clock::time_point::max());
}

Gateway::Impl::~Impl() {
  for (auto& shard : shards) shard->stop();
}

void Gateway::Impl::start(const proto::GatewayConfig& config, std::uint32_t first, std::uint32_t count,
                          std::unique_ptr<gateway::ShardAuthority> auth) {
  authority = std::move(auth);
  if (auto url = gateway::parse_url(config.gateway_url)) {
    settings.gateway = std::move(*url);
  } else {
    throw std::runtime_error("meganed sent an unusable gateway URL (want ws:// or wss://)");
  }
  settings.token = config.token;  // silence_timeout was set by the ClusterWorker already
  settings.intents = config.intents;
  settings.large_threshold = config.large_threshold;
  settings.presence_json = config.presence_json;
  settings.total_shards = config.total_shards;

  gateway::ShardCallbacks callbacks;
  callbacks.dispatch = [this](std::uint32_t shard, std::string_view name, std::uint64_t seq,
                              simdjson::dom::element data) { dispatch(shard, name, seq, data); };
  callbacks.state = [this](const proto::ShardStatus& status) { state_changed(status); };
  for (std::uint32_t id = first; id < first + count; ++id) {
    auto shard = std::make_unique<gateway::Shard>(executor, id, settings, *authority, callbacks, logger);
    for (const proto::SessionInfo& s : config.sessions) {
      if (s.shard_id == id) shard->adopt_session(s);
    }
    shards.push_back(std::move(shard));
  }
  std::size_t resuming = 0;
  for (const auto& shard : shards) resuming += shard->has_session() ? 1 : 0;
  logger->info("gateway: {} shards ({}-{} of {}), {} with a session to resume, {}", count, first,
               first + count - 1, config.total_shards, resuming, config.gateway_url);
  for (auto& shard : shards) {
    ++running;
    asio::co_spawn(executor, shard->run(), [this](std::exception_ptr) {
      --running;
      changed.cancel();
      stopped.cancel();
    });
  }
}

std::vector<proto::SessionInfo> Gateway::Impl::sessions() const {
  std::vector<proto::SessionInfo> out;
  out.reserve(shards.size());
  for (const auto& shard : shards) out.push_back(shard->session());
  return out;
}

std::size_t Gateway::Impl::ready_count() const {
  std::size_t n = 0;
  for (const auto& shard : shards) n += shard->state() == proto::ShardState::ready ? 1 : 0;
  return n;
}

void Gateway::Impl::state_changed(const proto::ShardStatus& status) {
  if (status.state == proto::ShardState::fatal && !fatal) {
    fatal = true;
    logger->error("shard {} cannot connect ({}): stopping this cluster for good", status.shard_id, status.detail);
    if (request_stop) request_stop(do_not_restart);
  }
  changed.cancel();
}

asio::awaitable<bool> Gateway::Impl::wait_ready() {
  while (!fatal && ready_count() < shards.size()) {
    changed.expires_at(Clock::time_point::max());
    auto [ec] = co_await changed.async_wait(use_tuple);
    if (ec && ec != asio::error::operation_aborted) break;
    // Our own cancellation (launch() cancelled) also lands here: leave then.
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return false;
  }
  co_return !fatal && ready_count() == shards.size();
}

asio::awaitable<void> Gateway::Impl::close(std::chrono::milliseconds timeout) {
  for (auto& shard : shards) shard->stop();
  const auto until = Clock::now() + timeout;
  while (running > 0 && Clock::now() < until) {
    stopped.expires_at(until);
    co_await stopped.async_wait(use_tuple);
  }
  if (running > 0) logger->warn("gateway: {} shards did not close within {} ms", running, timeout.count());
}

void Gateway::Impl::dispatch(std::uint32_t shard, std::string_view name, std::uint64_t seq,
                             simdjson::dom::element data) {
  const Dispatch d{name, shard, seq, data};
  if (before_handlers) before_handlers(d);
  if (auto it = handlers.find(name); it != handlers.end()) {
    for (const auto& h : it->second) h(d);
  }
  for (const auto& h : any_handlers) h(d);
}

}  // namespace megane
