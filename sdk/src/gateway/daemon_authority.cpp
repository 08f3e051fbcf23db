#include "daemon_authority.hpp"

#include <chrono>

#include <fmt/format.h>

namespace megane::gateway {

using proto::MessageType;

boost::asio::awaitable<Permit> DaemonAuthority::acquire_identify(std::uint32_t shard_id) {
  proto::IdentifyPermitRequest request;
  request.shard_id = shard_id;
  // The daemon answers when the shard's turn comes, which can take minutes for large bots;
  // the wait ends early only if meganed goes away (then the whole process stops).
  const Reply reply = co_await ipc_.request(MessageType::identify_permit, proto::encode(request),
                                            std::chrono::hours(24));
  Permit permit;
  if (!reply.ok()) {
    permit.error = reply.status == IpcStatus::rejected ? reply.error.message
                                                       : std::string(to_string(reply.status));
    co_return permit;
  }
  proto::IdentifyPermit granted;
  if (!proto::decode(reply.payload, granted)) {
    permit.error = "malformed identify permit";
    co_return permit;
  }
  permit.granted = true;
  permit.ticket = granted.ticket;
  co_return permit;
}

void DaemonAuthority::identify_done(std::uint64_t ticket, bool sent) {
  proto::IdentifyDone done;
  done.ticket = ticket;
  done.sent = sent;
  ipc_.send(MessageType::identify_done, proto::encode(done));
}

void DaemonAuthority::session_changed(const proto::SessionInfo& session) {
  ipc_.send(MessageType::session_update, proto::encode(session));
}

void DaemonAuthority::status_changed(const proto::ShardStatus& status) {
  ipc_.send(MessageType::shard_status, proto::encode(status));
}

}  // namespace megane::gateway
