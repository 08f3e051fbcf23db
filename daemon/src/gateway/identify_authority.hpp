// The IdentifyQueue on the daemon's loop: a cluster's identify_permit request waits in the
// queue and is answered when the queue grants it (a timer on next_wakeup, no daemon-side
// deadline); identify_done completes the ticket; a cluster that dies loses its waiting
// requests and its unused permits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "connection.hpp"
#include "gateway/identify_queue.hpp"

namespace megane::daemon {

class IdentifyAuthority {
 public:
  enum class DoneResult { ok, unknown_ticket, wrong_owner };

  IdentifyAuthority(boost::asio::io_context& io, IdentifyQueue queue, std::shared_ptr<spdlog::logger> log);

  // `owner` is the cluster process (its generation); the reply (IdentifyPermit) goes to
  // `conn` under `request_id` once granted.
  void request(Connection& conn, std::uint32_t request_id, std::uint32_t shard_id, std::uint64_t owner);
  DoneResult done(std::uint64_t ticket, bool sent, std::uint64_t owner);
  // The owner's connection closed or its process exited. `label` is for the log.
  void owner_gone(std::uint64_t owner, std::string_view label);
  // A fresh figure from GET /gateway/bot.
  void set_budget(std::uint32_t remaining, std::chrono::milliseconds reset_after);
  void stop() { timer_.cancel(); }

  const IdentifyQueue& queue() const noexcept { return queue_; }
  // Whether `owner` waits for a permit or holds one not yet used: its shards are queued
  // behind others, which is no reason to call the cluster slow.
  bool busy(std::uint64_t owner) const;

 private:
  struct Pending {
    std::weak_ptr<Connection> conn;
    std::uint32_t request_id = 0;
    std::uint64_t owner = 0;
    std::uint32_t shard = 0;
  };
  struct Held {
    std::uint64_t owner = 0;
    std::uint32_t shard = 0;
  };

  // Hands out what is due and sleeps until the next grant can happen.
  void pump();

  IdentifyQueue queue_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::uint64_t, Pending> pending_;  // ticket -> the request waiting for it
  std::map<std::uint64_t, Held> held_;        // ticket -> granted, not yet done
};

}  // namespace megane::daemon
