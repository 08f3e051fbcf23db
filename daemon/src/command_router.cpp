#include "command_router.hpp"

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <megane/proto/messages.hpp>

namespace megane::daemon {

using proto::ErrorCode;
using proto::MessageType;
using proto::TargetStatus;

// One request from an origin, fanned out to one or more targets.
struct CommandRouter::Aggregate {

  std::weak_ptr<Connection> origin;
  std::uint32_t origin_request = 0;
  bool broadcast = false;             // cluster command: answer with BroadcastReply
  std::string target_label;           // service command: for error messages
  std::vector<proto::TargetResult> results;
  std::vector<bool> filled;
  std::vector<Key> keys;              // pending_ entries of this aggregate
  std::size_t outstanding = 0;
  bool done = false;
  std::optional<Deadlines::iterator> deadline;  // its entry in deadlines_, while it waits
};

CommandRouter::CommandRouter(boost::asio::io_context& io, Supervisor& supervisor,
                             std::chrono::milliseconds default_timeout)
    : io_(io), supervisor_(supervisor), default_timeout_(default_timeout), deadline_timer_(io) {
  child_connections_.resize(supervisor_.children().size());
}

CommandRouter::~CommandRouter() { deadline_timer_.cancel(); }

void CommandRouter::watch_deadline(const std::shared_ptr<Aggregate>& agg, std::chrono::milliseconds timeout) {
  agg->deadline = deadlines_.emplace(std::chrono::steady_clock::now() + timeout, agg);
  if (!armed_for_ || agg->deadline.value()->first < *armed_for_) arm_deadline_timer();
}

void CommandRouter::arm_deadline_timer() {
  if (deadlines_.empty()) {
    armed_for_.reset();
    deadline_timer_.cancel();
    return;
  }
  armed_for_ = deadlines_.begin()->first;
  deadline_timer_.expires_at(*armed_for_);
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_deadlines();
  });
}

void CommandRouter::on_deadlines() {
  armed_for_.reset();
  const auto now = std::chrono::steady_clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto agg = deadlines_.begin()->second.lock();
    deadlines_.erase(deadlines_.begin());
    if (!agg) continue;
    agg->deadline.reset();
    for (std::size_t i = 0; i < agg->filled.size() && !agg->done; ++i)
      if (!agg->filled[i]) fill(agg, i, TargetStatus::timeout, {});
  }
  if (!armed_for_) arm_deadline_timer();
}

void CommandRouter::attach(const Child& child, Connection& conn) {
  child_connections_[child.index] = conn.weak_from_this();
}

Connection* CommandRouter::connection_of(const Child& child) {
  auto conn = child_connections_[child.index].lock();
  if (!conn || !conn->open() || conn->generation != child.generation) return nullptr;
  return conn.get();
}

std::chrono::milliseconds CommandRouter::deadline(std::uint32_t requested_ms) const {
  return requested_ms == 0 ? default_timeout_ : std::chrono::milliseconds(requested_ms);
}

proto::CommandDeliver CommandRouter::deliver_header(const Connection& origin, bool receptive) const {
  proto::CommandDeliver d;
  d.origin_role = origin.role;
  d.origin_cluster = origin.role == proto::Role::cluster ? origin.cluster_id : 0;
  if (origin.role == proto::Role::service && origin.child_index < supervisor_.children().size())
    d.origin_service = supervisor_.children()[origin.child_index]->service->name;
  d.receptive = receptive;
  return d;
}

void CommandRouter::service_command(Connection& origin, const proto::FrameView& frame) {
  const std::uint32_t rid = frame.header.request_id;
  proto::ServiceCommand cmd;
  if (!proto::decode(frame.payload, cmd)) {
    origin.reply_error(rid, ErrorCode::malformed, "malformed service_command");
    return;
  }
  Child* svc = supervisor_.service(cmd.service);
  if (!svc) {
    origin.reply_error(rid, ErrorCode::not_found, fmt::format("no service '{}' in this bot", cmd.service));
    return;
  }
  const bool receptive = cmd.receptive && rid != 0;
  Connection* target = connection_of(*svc);
  if (!target) {
    origin.reply_error(rid, ErrorCode::unavailable,
                       fmt::format("{} is not connected (state {})", svc->label, to_string(svc->state)));
    return;
  }
  proto::CommandDeliver d = deliver_header(origin, receptive);
  d.data = std::move(cmd.data);
  if (!receptive) {
    target->send(MessageType::command_deliver, 0, 0, proto::encode(d));
    // Fire-and-forget sent with a request id: acknowledge the hand-over so nobody waits.
    if (rid != 0) origin.reply(MessageType::service_command, rid, {});
    return;
  }
  auto agg = std::make_shared<Aggregate>();
  agg->origin = origin.weak_from_this();
  agg->origin_request = rid;
  agg->target_label = svc->label;
  agg->results.resize(1);
  agg->filled.assign(1, false);
  agg->outstanding = 1;
  forward(agg, 0, *target, d);
  watch_deadline(agg, deadline(cmd.timeout_ms));
}

void CommandRouter::cluster_command(Connection& origin, const proto::FrameView& frame) {
  const std::uint32_t rid = frame.header.request_id;
  proto::ClusterCommand cmd;
  if (!proto::decode(frame.payload, cmd)) {
    origin.reply_error(rid, ErrorCode::malformed, "malformed cluster_command");
    return;
  }
  std::vector<Child*> targets;
  const std::size_t n = supervisor_.cluster_count();
  switch (cmd.target_kind) {
    case proto::CommandTarget::all:
      for (std::uint32_t i = 0; i < n; ++i) targets.push_back(supervisor_.cluster(i));
      break;
    case proto::CommandTarget::cluster:
      if (cmd.target >= n) {
        origin.reply_error(rid, ErrorCode::not_found, fmt::format("no cluster {} (this bot has {})", cmd.target, n));
        return;
      }
      targets.push_back(supervisor_.cluster(static_cast<std::uint32_t>(cmd.target)));
      break;
    case proto::CommandTarget::guild: {
      // Discord's rule: a guild lives on shard (id >> 22) % total_shards.
      const auto shard = static_cast<std::uint32_t>((cmd.target >> 22) % supervisor_.plan().total_shards);
      for (const auto& cp : supervisor_.plan().clusters)
        if (shard >= cp.first_shard && shard <= cp.last_shard()) targets.push_back(supervisor_.cluster(cp.id));
      break;
    }
  }
  const bool receptive = cmd.receptive && rid != 0;
  proto::CommandDeliver d = deliver_header(origin, receptive);
  d.data = std::move(cmd.data);
  if (!receptive) {
    const auto payload = proto::encode(d);
    for (Child* t : targets)
      if (Connection* conn = connection_of(*t)) conn->send(MessageType::command_deliver, 0, 0, payload);
    if (rid != 0) origin.reply(MessageType::cluster_command, rid, proto::encode(proto::BroadcastReply{}));
    return;
  }
  auto agg = std::make_shared<Aggregate>();
  agg->origin = origin.weak_from_this();
  agg->origin_request = rid;
  agg->broadcast = true;
  agg->results.resize(targets.size());
  agg->filled.assign(targets.size(), false);
  agg->outstanding = targets.size();
  if (targets.empty()) {
    finish(*agg);
    return;
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    agg->results[i].cluster_id = targets[i]->plan.id;
    if (Connection* conn = connection_of(*targets[i])) {
      forward(agg, i, *conn, d);
    } else {
      fill(agg, i, TargetStatus::unavailable,
           fmt::format("{} is not connected (state {})", targets[i]->label, to_string(targets[i]->state)));
    }
  }
  if (agg->done) return;
  watch_deadline(agg, deadline(cmd.timeout_ms));
}

void CommandRouter::forward(const std::shared_ptr<Aggregate>& agg, std::size_t slot, Connection& target,
                            const proto::CommandDeliver& deliver) {
  std::uint32_t id = next_request_id_++;
  if (id == 0) id = next_request_id_++;
  const Key key{target.id(), id};
  pending_[key] = {agg, slot};
  agg->keys.push_back(key);
  target.send(MessageType::command_deliver, 0, id, proto::encode(deliver));
}

void CommandRouter::on_result(Connection& target, const proto::FrameView& frame) {
  auto it = pending_.find({target.id(), frame.header.request_id});
  if (it == pending_.end()) return;  // late: already timed out
  auto [agg, slot] = it->second;
  pending_.erase(it);
  if (frame.header.has(proto::FrameFlags::error)) {
    proto::ErrorReply err;
    std::string message = proto::decode(frame.payload, err) ? err.message : "malformed error reply";
    fill(agg, slot, TargetStatus::error, std::move(message));
    return;
  }
  fill(agg, slot, TargetStatus::ok, std::string(frame.payload.begin(), frame.payload.end()));
}

void CommandRouter::detach(Connection& conn) {
  for (auto it = pending_.lower_bound({conn.id(), 0}); it != pending_.end() && it->first.first == conn.id();) {
    auto [agg, slot] = it->second;
    it = pending_.erase(it);
    fill(agg, slot, TargetStatus::exited, "target exited before answering");
  }
}

void CommandRouter::fill(const std::shared_ptr<Aggregate>& agg, std::size_t slot, TargetStatus status,
                         std::string data) {
  if (agg->done || agg->filled[slot]) return;
  agg->filled[slot] = true;
  agg->results[slot].status = status;
  agg->results[slot].data = std::move(data);
  if (--agg->outstanding == 0) finish(*agg);
}

void CommandRouter::finish(Aggregate& agg) {
  agg.done = true;
  if (agg.deadline) {
    deadlines_.erase(*agg.deadline);
    agg.deadline.reset();
  }
  for (const Key& k : agg.keys) pending_.erase(k);
  auto origin = agg.origin.lock();
  if (!origin || !origin->open()) return;
  const std::uint32_t rid = agg.origin_request;
  if (agg.broadcast) {
    origin->reply(MessageType::cluster_command, rid, proto::encode(proto::BroadcastReply{std::move(agg.results)}));
    return;
  }
  const proto::TargetResult& r = agg.results[0];
  switch (r.status) {
    case TargetStatus::ok:
      origin->reply(MessageType::service_command, rid,
                    {reinterpret_cast<const std::uint8_t*>(r.data.data()), r.data.size()});
      return;
    case TargetStatus::error:
      origin->reply_error(rid, ErrorCode::rejected, r.data);
      return;
    case TargetStatus::timeout:
      origin->reply_error(rid, ErrorCode::timeout, fmt::format("{} did not answer in time", agg.target_label));
      return;
    case TargetStatus::exited:
      origin->reply_error(rid, ErrorCode::target_exited, fmt::format("{} exited before answering", agg.target_label));
      return;
    case TargetStatus::unavailable:
      origin->reply_error(rid, ErrorCode::unavailable, r.data);
      return;
  }
}

}  // namespace megane::daemon
