// The cluster's Discord gateway: one connection per shard of the cluster's range, all on the
// cluster's io_context. ClusterWorker::connect_gateway() starts it with the settings meganed
// hands over (token, URLs, intents, sessions to resume); a bot registers dispatch handlers
// here, before or after connecting. See docs/sdk.md#gateway.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include <megane/proto/gateway_messages.hpp>

namespace megane {

// One gateway dispatch (op 0) as a shard received it.
struct Dispatch {
  std::string_view name;        // "MESSAGE_CREATE", "GUILD_CREATE", "READY" ...
  std::uint32_t shard_id = 0;
  std::uint64_t seq = 0;
  simdjson::dom::element data;  // the payload's "d"; valid only during the callback
};
using DispatchHandler = std::function<void(const Dispatch&)>;

struct ShardReport {
  proto::ShardStatus status;     // state, latency_ms, guilds, detail
  std::uint64_t identifies = 0;  // IDENTIFYs this process sent for the shard
  std::uint64_t resumes = 0;
  std::uint64_t dispatches = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t silences = 0;    // connections dropped by the silence check (then RESUMEd)
};

class Gateway {
 public:
  struct Impl;

  explicit Gateway(std::unique_ptr<Impl> impl);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Calls `handler` for every dispatch named `event`; several handlers per event run in the
  // order they were added. Handlers run on the cluster's loop: do not block in them.
  void on(std::string_view event, DispatchHandler handler);
  // Calls `handler` for every dispatch, after the named handlers.
  void on_any(DispatchHandler handler);

  // Queues a raw gateway payload (JSON text, e.g. op 8 or op 3) on `shard_id`'s connection,
  // behind Discord's send limit (120 per 60 s, room kept for heartbeats). False when the shard
  // is not in this cluster.
  bool send(std::uint32_t shard_id, std::string payload);

  std::vector<ShardReport> shards() const;
  std::size_t shards_ready() const;
  bool started() const;

  Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace megane
