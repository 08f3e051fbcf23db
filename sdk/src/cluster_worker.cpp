#include <megane/sdk/cluster_worker.hpp>

#include <chrono>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "cache/member_requests.hpp"
#include "gateway/daemon_authority.hpp"
#include "gateway/gateway_impl.hpp"

namespace megane {

ClusterWorker::ClusterWorker(ClusterContext context)
    : Worker(std::move(static_cast<WorkerContext&>(context))),
      cluster_id_(context.cluster_id),
      shards_(context.shards),
      gateway_(std::make_unique<Gateway>(std::make_unique<Gateway::Impl>(
          io().get_executor(), worker_context().logger, worker_context().request_stop))),
      cache_(std::make_unique<Cache>()),
      snapshot_path_(context.cache_snapshot),
      snapshot_max_bytes_(context.cache_snapshot_max_bytes) {
  gateway_->impl().settings.silence_timeout = context.shard_silence_timeout;
  gateway_->impl().before_handlers = [this](const Dispatch& d) {
    if (d.name == "READY" && !restored_shards_.empty()) drop_stale_snapshot_guilds(d);
    cache_->apply(d);
    if (member_requests_) member_requests_->on_dispatch(d);
  };
}

void ClusterWorker::set_cache_options(CacheOptions options) {
  if (gateway_->started()) throw std::logic_error("set_cache_options() after connect_gateway()");
  cache_ = std::make_unique<Cache>(options);
  member_requests_.reset();
  if (options.cache_all_members && options.members == MemberCache::all) {
    member_requests_ = std::make_unique<cache::MemberRequests>(
        [this](std::uint32_t shard, std::string payload) { return gateway_->send(shard, std::move(payload)); },
        [this] {
          report_members_cached();
          all_members_cached();
        });
  }
}

void ClusterWorker::report_members_cached() {
  // meganed's all_members_cached event waits for every cluster's report, so report only when
  // every shard of the range is READY (a shard still connecting has guilds to come) and all
  // their guilds are complete. The SDK sends it, so an override of all_members_cached()
  // cannot forget to.
  if (members_cached_reported_ || !member_requests_ || !member_requests_->complete()) return;
  if (!gateway_->started() || gateway_->shards_ready() < shard_count()) return;
  if (!ipc().send(proto::MessageType::members_cached)) {
    logger().warn("could not report all members cached to meganed");
    return;
  }
  members_cached_reported_ = true;
}

boost::asio::awaitable<void> ClusterWorker::apply_configured_cache() {
  const Reply reply = co_await ipc().request(proto::MessageType::cache_config, {}, std::chrono::seconds(10));
  if (!reply.ok()) {
    // No [cache] section (or an older meganed): the options set in code stay.
    const bool expected = reply.status == IpcStatus::rejected && (reply.error.code == proto::ErrorCode::not_found ||
                                                                  reply.error.code == proto::ErrorCode::unknown_message);
    if (!expected) logger().warn("could not read the [cache] settings from meganed ({}); keeping the bot's own", to_string(reply.status));
    co_return;
  }
  proto::CacheConfig c;
  if (!proto::decode(reply.payload, c)) {
    logger().warn("meganed sent malformed [cache] settings; keeping the bot's own");
    co_return;
  }
  CacheOptions options;
  options.enabled = c.enabled;
  options.channels = c.channels;
  options.roles = c.roles;
  switch (c.members) {
    case proto::MemberPolicy::all: options.members = MemberCache::all; break;
    case proto::MemberPolicy::own: options.members = MemberCache::own; break;
    case proto::MemberPolicy::none: options.members = MemberCache::none; break;
  }
  options.cache_all_members = c.cache_all_members;
  set_cache_options(options);
  logger().info("cache settings from meganed's [cache] section: enabled {}, channels {}, roles {}, members {}{}",
                c.enabled, c.channels, c.roles,
                c.members == proto::MemberPolicy::all ? "all" : c.members == proto::MemberPolicy::own ? "own" : "none",
                c.cache_all_members ? ", cache_all_members" : "");
}

std::optional<std::string> ClusterWorker::cached_json(proto::FetchKind kind, std::uint64_t id,
                                                      bool include_members) const {
  std::optional<std::string> json;
  switch (kind) {
    case proto::FetchKind::guild: json = cache_->guild_json(id, include_members); break;
    case proto::FetchKind::channel: json = cache_->channel_json(id); break;
    case proto::FetchKind::user: json = cache_->user_json(id); break;
  }
  if (json || !gateway_->started()) return json;
  // A miss is an answer only when the cache is complete. A shard that RESUMEd an earlier
  // process's session without ever IDENTIFYing here got no GUILD_CREATEs: its guilds (and
  // their channels and users) are simply not known to this process.
  for (const ShardReport& r : gateway_->shards()) {
    if (cache_complete(r)) continue;
    if (kind == proto::FetchKind::guild && (id >> 22) % shards_.total != r.status.shard_id) continue;
    throw std::runtime_error(fmt::format(
        "cluster {} cannot tell: shard {} resumed an earlier process's session, so its guilds are not cached here",
        cluster_id_, r.status.shard_id));
  }
  return json;
}

void ClusterWorker::all_members_cached() {
  logger().info("all members cached: {} guilds, {} members", cache_->counts().guilds, cache_->counts().members);
}

ClusterWorker::~ClusterWorker() = default;

boost::asio::awaitable<CommandResult> ClusterWorker::handle_command(const CommandRequest&) {
  co_return CommandResult::error("this cluster has no command handler");
}

void ClusterWorker::report_ready() { mark_ready(fmt::format(" ({} shards)", shard_count())); }

boost::asio::awaitable<void> ClusterWorker::connect_gateway() {
  if (gateway_->started()) throw std::logic_error("connect_gateway() called twice");
  const Reply reply = co_await ipc().request(proto::MessageType::gateway_config, {}, std::chrono::seconds(30));
  if (!reply.ok()) {
    const std::string why = reply.status == IpcStatus::rejected ? reply.error.message
                                                                : std::string(to_string(reply.status));
    throw std::runtime_error(fmt::format("meganed gave no gateway settings: {}", why));
  }
  proto::GatewayConfig config;
  if (!proto::decode(reply.payload, config)) throw std::runtime_error("malformed gateway settings from meganed");
  co_await apply_configured_cache();
  restore_cache_snapshot(config);  // before the first RESUME replays anything
  gateway_->impl().start(config, shards_.first, shards_.count,
                         std::make_unique<gateway::DaemonAuthority>(ipc()));
  const bool ready = co_await gateway_->impl().wait_ready();
  if (!ready) throw std::runtime_error("the gateway did not become ready");
  report_members_cached();  // the last guilds may have completed before the last READY
  logger().info("all {} shards are ready", shard_count());
}

void ClusterWorker::collect_sdk_stats(proto::WorkerStats& out) const {
  if (!gateway_->started()) return;
  out.users = cache_->counts().users;  // deduplicated: one user in several guilds counts once
  for (const ShardReport& r : gateway_->shards()) {
    out.shards.push_back(proto::ShardStats{r.status.shard_id, r.status.state, r.status.latency_ms, r.status.guilds,
                                           r.dispatches});
  }
}

boost::asio::awaitable<void> ClusterWorker::close_sdk_connections(std::chrono::steady_clock::time_point deadline) {
  if (!gateway_->started()) co_return;
  co_await gateway_->impl().close(std::chrono::seconds(5));
  // The final seqs must reach meganed before the process exits.
  const bool flushed = co_await ipc().flush(std::chrono::seconds(1));
  if (!flushed) logger().warn("could not hand the final session state to meganed");
  // After the close: no dispatch can change the cache any more, so it is exactly the state
  // at each shard's final seq.
  save_cache_snapshot(deadline);
}

}  // namespace megane
