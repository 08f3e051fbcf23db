// Routes commands between processes: a service command to one service, a cluster command to
// all clusters, one, or the owner of a guild. The data bytes pass through untouched. Every
// forwarded request has a deadline, and a target that goes away answers "target exited" at
// once, so nothing waits forever.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <megane/proto/command_messages.hpp>
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
  // A command_result reply from a target.
  void on_result(Connection& target, const proto::FrameView& frame);

  std::size_t pending() const noexcept { return pending_.size(); }

 private:
  struct Aggregate;
  using Key = std::pair<std::uint64_t, std::uint32_t>;  // target connection id, request id

  Connection* connection_of(const Child& child);
  proto::CommandDeliver deliver_header(const Connection& origin, bool receptive) const;
  void forward(const std::shared_ptr<Aggregate>& agg, std::size_t slot, Connection& target,
               const proto::CommandDeliver& deliver);
  void fill(const std::shared_ptr<Aggregate>& agg, std::size_t slot, proto::TargetStatus status,
            std::string data);
  void finish(Aggregate& agg);
  std::chrono::milliseconds deadline(std::uint32_t requested_ms) const;
  void watch_deadline(const std::shared_ptr<Aggregate>& agg, std::chrono::milliseconds timeout);
  void arm_deadline_timer();
  void on_deadlines();

  boost::asio::io_context& io_;
  Supervisor& supervisor_;
  std::chrono::milliseconds default_timeout_;
  std::vector<std::weak_ptr<Connection>> child_connections_;  // by Child::index
  std::map<Key, std::pair<std::shared_ptr<Aggregate>, std::size_t>> pending_;
  // One timer for every request: deadlines in order (most share one timeout, so new ones go
  // to the end and the timer is rarely re-armed); a finished request removes its entry.
  using Deadlines = std::multimap<std::chrono::steady_clock::time_point, std::weak_ptr<Aggregate>>;
  Deadlines deadlines_;
  boost::asio::steady_timer deadline_timer_;
  std::optional<std::chrono::steady_clock::time_point> armed_for_;
  std::uint32_t next_request_id_ = 1;
};

}  // namespace megane::daemon
