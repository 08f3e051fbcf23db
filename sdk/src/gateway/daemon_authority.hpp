// ShardAuthority over the cluster's IPC connection: meganed grants identify permits and keeps
// sessions and shard states (the 0x06xx messages, docs/protocol.md#gateway).
#pragma once

#include <megane/sdk/ipc_client.hpp>

#include "shard_authority.hpp"

namespace megane::gateway {

class DaemonAuthority final : public ShardAuthority {
 public:
  explicit DaemonAuthority(IpcClient& ipc) : ipc_(ipc) {}

  boost::asio::awaitable<Permit> acquire_identify(std::uint32_t shard_id) override;
  void identify_done(std::uint64_t ticket, bool sent) override;
  void session_changed(const proto::SessionInfo& session) override;
  void status_changed(const proto::ShardStatus& status) override;

 private:
  IpcClient& ipc_;
};

}  // namespace megane::gateway
