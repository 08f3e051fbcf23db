// What a shard needs from outside its connection: permission to IDENTIFY (meganed is the one
// identify authority of a bot) and somewhere to report its session and state. The cluster
// runtime implements it over IPC (daemon_authority.cpp); tests and benchmarks can stand in.
#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>

#include <megane/proto/gateway_messages.hpp>

namespace megane::gateway {

struct Permit {
  bool granted = false;
  std::uint64_t ticket = 0;
  std::string error;  // when not granted: why (the shard retries later)
};

class ShardAuthority {
 public:
  virtual ~ShardAuthority() = default;
  // Completes when the shard may IDENTIFY now. May wait long (other shards go first).
  virtual boost::asio::awaitable<Permit> acquire_identify(std::uint32_t shard_id) = 0;
  // The permit was used (IDENTIFY sent) or not (the connection failed first).
  virtual void identify_done(std::uint64_t ticket, bool sent) = 0;
  // After READY, periodically, and at a graceful stop with the final seq; an empty
  // session_id means the session is gone.
  virtual void session_changed(const proto::SessionInfo& session) = 0;
  virtual void status_changed(const proto::ShardStatus& status) = 0;
};

}  // namespace megane::gateway
