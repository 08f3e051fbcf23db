// The SDK's gateway in-process (Gateway::Impl with its shards, on a test-owned io_context)
// against the real fakecord. A recording authority stands in for meganed: it grants every
// identify permit at once and keeps what the shards report.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "fakecord_process.hpp"
#include "gateway/gateway_impl.hpp"
#include "gateway/shard_authority.hpp"

namespace megane::test {

struct RecordingAuthority final : gateway::ShardAuthority {
  boost::asio::awaitable<gateway::Permit> acquire_identify(std::uint32_t shard_id) override;
  void identify_done(std::uint64_t ticket, bool sent) override;
  void session_changed(const proto::SessionInfo& session) override;
  void status_changed(const proto::ShardStatus& status) override;

  std::uint32_t permits = 0;
  std::vector<std::pair<std::uint64_t, bool>> done;
  std::map<std::uint32_t, proto::SessionInfo> sessions;
  std::map<std::uint32_t, proto::ShardStatus> last_status;
};

struct GatewayRig {
  struct Options {
    std::uint32_t first = 0;
    std::uint32_t count = 1;
    std::uint32_t total = 1;
    std::string token = fakecord_token;
    std::uint64_t intents = 513;  // GUILDS | GUILD_MESSAGES
    std::string gateway_url;      // default: fakecord's plain gateway
    std::vector<proto::SessionInfo> sessions;
  };

  GatewayRig(Fakecord& fakecord, Options options);
  ~GatewayRig();

  // Runs the loop until `pred` holds or `timeout` passes; returns pred().
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void run_for(std::chrono::milliseconds time);
  bool all_ready() const { return gateway->ready_count() == gateway->shards.size(); }
  proto::ShardState state(std::uint32_t shard) const;
  // Graceful close of every shard (as at a cluster's SIGTERM).
  void close();

  boost::asio::io_context io;
  RecordingAuthority* authority = nullptr;  // owned by the gateway
  std::unique_ptr<Gateway> api;             // the bot-facing handle: on(), shards()
  Gateway::Impl* gateway = nullptr;         // its machinery
  int stop_code = -1;                       // what the gateway asked the process to exit with
};

}  // namespace megane::test
