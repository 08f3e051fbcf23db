// Routes commands between processes: a service command to one service, a cluster command to
// all clusters, one, or the owner of a guild; and fetches from the clusters' caches (to the
// owners of guilds, or to every cluster with the first hit answering at once). The data bytes pass through untouched (decoded
// as views, encoded straight into the target's output buffer). Every forwarded request has a
// deadline, and a target that goes away answers "target exited" at once, so nothing waits
// forever.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <megane/proto/command_messages.hpp>
#include <megane/proto/deadline_heap.hpp>
#include <megane/proto/frame.hpp>

#include "connection.hpp"
#include "supervisor.hpp"

namespace megane::daemon {

class CommandRouter {
 public:
  CommandRouter(boost::asio::io_context& io, Supervisor& supervisor, std::chrono::milliseconds default_timeout);
  ~CommandRouter();

  // The live connection of a child, registered once its hello is accepted.
  void attach(const Child& child, Connection& conn);
  // A connection closed: requests waiting on it end as "target exited".
  void detach(Connection& conn);

  void service_command(Connection& origin, const proto::FrameView& frame);
  void cluster_command(Connection& origin, const proto::FrameView& frame);
  // A fetch: the request bytes go unchanged to the targets as fetch_deliver.
  void fetch(Connection& origin, const proto::FrameView& frame);
  // A command_result or fetch_result reply from a target.
  void on_result(Connection& target, const proto::FrameView& frame);

  std::size_t pending() const noexcept { return waiting_.size(); }
  // Reload: the deadline of commands that do not carry their own, from now on.
  void set_default_timeout(std::chrono::milliseconds timeout) noexcept { default_timeout_ = timeout; }
  // The child's current process's connection, or nullptr (not connected, or a stale one).
  Connection* connection_of(const Child& child);

 private:
  using Clock = std::chrono::steady_clock;
  struct Broadcast;

  // One request forwarded to a target, waiting for its command_result. A service command
  // answers its origin directly; a cluster command's targets fill slots of a shared Broadcast.
  // No per-request allocation beyond the flat table's slot (a Broadcast is per command).
  struct Waiting {
    std::uint64_t target = 0;  // the target connection's id: only it may answer
    Clock::time_point deadline;
    std::weak_ptr<Connection> origin;      // service command
    std::uint32_t origin_request = 0;      // service command
    const Child* service = nullptr;        // service command: names it in error messages
    std::shared_ptr<Broadcast> broadcast;  // cluster command
    std::size_t slot = 0;                  // cluster command: index in broadcast->results
  };

  void deliver(Connection& target, const Connection& origin, std::uint32_t id, bool receptive,
               std::string_view data);
  // The cluster owning a guild: Discord's rule, shard (id >> 22) % total_shards.
  Child* owner_of_guild(std::uint64_t guild_id);
  // Sends one request per target (`send(conn, id)`) and answers the origin with one result per
  // target once all are in; with `first_hit`, at once with the first ok result alone.
  template <class Send>
  void fan_out(Connection& origin, std::uint32_t rid, const std::vector<Child*>& targets,
               std::chrono::milliseconds timeout, proto::MessageType reply_type, bool first_hit, Send&& send);
  std::uint32_t next_id();
  // Registers a forwarded request and its deadline.
  void wait_for(std::uint32_t id, Waiting waiting, std::chrono::milliseconds timeout);
  // The request ended (answer, error, timeout, exit): answers its origin or fills its slot.
  void resolve(Waiting& waiting, proto::TargetStatus status, std::string_view data);
  void fill(Broadcast& broadcast, std::size_t slot, proto::TargetStatus status, std::string_view data);
  void finish(Broadcast& broadcast);
  std::chrono::milliseconds deadline(std::uint32_t requested_ms) const;
  void prune_deadlines();
  void arm_deadline_timer();
  void on_deadlines();

  boost::asio::io_context& io_;
  Supervisor& supervisor_;
  std::chrono::milliseconds default_timeout_;
  std::vector<std::weak_ptr<Connection>> child_connections_;  // by Child::index
  boost::unordered_flat_map<std::uint32_t, Waiting> waiting_;  // by the id we forwarded with
  // One timer for every request, armed for the earliest deadline.
  proto::DeadlineHeap<Clock::time_point> deadlines_;
  boost::asio::steady_timer deadline_timer_;
  std::optional<Clock::time_point> armed_for_;
  std::uint32_t next_request_id_ = 1;
};

}  // namespace megane::daemon
