#include "gateway/identify_authority.hpp"

#include <fmt/format.h>
#include <megane/proto/gateway_messages.hpp>

namespace megane::daemon {

using proto::ErrorCode;
using proto::MessageType;

IdentifyAuthority::IdentifyAuthority(boost::asio::io_context& io, IdentifyQueue queue,
                                     std::shared_ptr<spdlog::logger> log)
    : queue_(std::move(queue)), timer_(io), log_(std::move(log)) {}

void IdentifyAuthority::request(Connection& conn, std::uint32_t request_id, std::uint32_t shard_id,
                                std::uint64_t owner) {
  const std::uint64_t ticket = queue_.enqueue(shard_id, owner);
  if (auto it = pending_.find(ticket); it != pending_.end()) {
    // The same shard asked again before its grant: the newest request gets the permit, the
    // older one an answer rather than silence.
    if (auto old = it->second.conn.lock(); old && old->open()) {
      old->reply_error(it->second.request_id, ErrorCode::busy,
                       fmt::format("superseded by a newer identify_permit request for shard {}", shard_id));
    }
  }
  pending_[ticket] = Pending{conn.weak_from_this(), request_id, owner, shard_id};
  log_->debug("shard {}: waiting for an identify permit (ticket {}, {} waiting)", shard_id, ticket, queue_.waiting());
  pump();
}

IdentifyAuthority::DoneResult IdentifyAuthority::done(std::uint64_t ticket, bool sent, std::uint64_t owner) {
  auto it = held_.find(ticket);
  if (it == held_.end()) return DoneResult::unknown_ticket;
  if (it->second.owner != owner) return DoneResult::wrong_owner;
  log_->debug("shard {}: identify permit {} ({})", it->second.shard, ticket, sent ? "used" : "returned unused");
  held_.erase(it);
  queue_.complete(ticket, sent, IdentifyQueue::Clock::now());
  pump();
  return DoneResult::ok;
}

void IdentifyAuthority::owner_gone(std::uint64_t owner, std::string_view label) {
  std::size_t revoked = 0;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second.owner == owner) {
      log_->info("{}: identify permit for shard {} revoked (its process is gone)", label, it->second.shard);
      it = held_.erase(it);
      ++revoked;
    } else {
      ++it;
    }
  }
  std::size_t dropped = 0;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.owner == owner) {
      it = pending_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  if (revoked == 0 && dropped == 0) return;
  if (dropped > 0) log_->debug("{}: {} identify requests dropped", label, dropped);
  queue_.cancel_owner(owner, IdentifyQueue::Clock::now());
  pump();
}

void IdentifyAuthority::set_budget(std::uint32_t remaining, std::chrono::milliseconds reset_after) {
  queue_.set_budget(remaining, reset_after, IdentifyQueue::Clock::now());
  pump();
}

void IdentifyAuthority::pump() {
  const auto now = IdentifyQueue::Clock::now();
  for (const IdentifyQueue::Grant& g : queue_.poll(now)) {
    auto it = pending_.find(g.ticket);
    std::shared_ptr<Connection> conn = it == pending_.end() ? nullptr : it->second.conn.lock();
    const std::uint32_t request_id = it == pending_.end() ? 0 : it->second.request_id;
    if (it != pending_.end()) pending_.erase(it);
    if (!conn || !conn->open()) {
      // Nobody to hand it to: give the identify back at once.
      queue_.complete(g.ticket, false, now);
      continue;
    }
    held_[g.ticket] = Held{g.owner, g.shard_id};
    log_->debug("shard {}: identify permit granted (ticket {})", g.shard_id, g.ticket);
    const auto payload = proto::encode(proto::IdentifyPermit{g.shard_id, g.ticket});
    conn->reply(MessageType::identify_permit, request_id, payload);
  }
  const auto next = queue_.next_wakeup(now);
  if (!next) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(*next);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pump();
  });
}

bool IdentifyAuthority::busy(std::uint64_t owner) const {
  for (const auto& [ticket, p] : pending_) {
    if (p.owner == owner) return true;
  }
  for (const auto& [ticket, h] : held_) {
    if (h.owner == owner) return true;
  }
  return false;
}

}  // namespace megane::daemon

