#include "command_router.hpp"

#include <utility>

#include <fmt/format.h>
#include <megane/proto/fetch_messages.hpp>
#include <megane/proto/messages.hpp>
#include <megane/proto/wire.hpp>

namespace megane::daemon {

using proto::ErrorCode;
using proto::MessageType;
using proto::TargetStatus;

namespace {

proto::ByteView bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string_view text_of(proto::ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

// A cluster command fanned out to several targets: one result slot per target, answered
// once every slot is filled.
struct CommandRouter::Broadcast {
  std::weak_ptr<Connection> origin;
  std::uint32_t origin_request = 0;
  proto::MessageType reply_type = MessageType::cluster_command;
  bool first_hit = false;  // answer with the first ok result (a fetch asked of every cluster)
  bool answered = false;   // the origin has its answer: later results are dropped
  std::vector<proto::TargetResult> results;
  std::size_t outstanding = 0;
};

CommandRouter::CommandRouter(boost::asio::io_context& io, Supervisor& supervisor,
                             std::chrono::milliseconds default_timeout)
    : io_(io), supervisor_(supervisor), default_timeout_(default_timeout), deadline_timer_(io) {
  child_connections_.resize(supervisor_.children().size());
}

CommandRouter::~CommandRouter() { deadline_timer_.cancel(); }

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

std::uint32_t CommandRouter::next_id() {
  // 0 means "no reply"; after a wrap, skip ids that still wait.
  std::uint32_t id = 0;
  do {
    id = next_request_id_++;
  } while (id == 0 || waiting_.contains(id));
  return id;
}

void CommandRouter::deliver(Connection& target, const Connection& origin, std::uint32_t id, bool receptive,
                            std::string_view data) {
  std::string_view origin_service;
  if (origin.role == proto::Role::service && origin.child_index < supervisor_.children().size())
    origin_service = supervisor_.children()[origin.child_index]->service->name;
  const std::uint32_t origin_cluster = origin.role == proto::Role::cluster ? origin.cluster_id : 0;
  target.send_with(MessageType::command_deliver, 0, id, [&](proto::Writer& w) {
    proto::encode_command_deliver(w, origin.role, origin_cluster, origin_service, receptive, data);
  });
}

void CommandRouter::wait_for(std::uint32_t id, Waiting waiting, std::chrono::milliseconds timeout) {
  waiting.deadline = Clock::now() + timeout;
  const auto at = waiting.deadline;
  waiting_.insert_or_assign(id, std::move(waiting));
  deadlines_.push(at, id);
  if (!armed_for_ || at < *armed_for_) arm_deadline_timer();
}

void CommandRouter::service_command(Connection& origin, const proto::FrameView& frame) {
  const std::uint32_t rid = frame.header.request_id;
  proto::ServiceCommandView cmd;  // views into the frame: nothing copied until it is forwarded
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
  if (!receptive) {
    deliver(*target, origin, 0, false, cmd.data);
    // Fire-and-forget sent with a request id: acknowledge the hand-over so nobody waits.
    if (rid != 0) origin.reply(MessageType::service_command, rid, {});
    return;
  }
  const std::uint32_t id = next_id();
  Waiting w;
  w.target = target->id();
  w.origin = origin.weak_from_this();
  w.origin_request = rid;
  w.service = svc;
  // Registered before it is sent: a target that breaks while we write to it answers "exited".
  wait_for(id, std::move(w), deadline(cmd.timeout_ms));
  deliver(*target, origin, id, true, cmd.data);
}

void CommandRouter::cluster_command(Connection& origin, const proto::FrameView& frame) {
  const std::uint32_t rid = frame.header.request_id;
  proto::ClusterCommandView cmd;
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
    case proto::CommandTarget::guild:
      if (Child* owner = owner_of_guild(cmd.target)) targets.push_back(owner);
      break;
  }
  const bool receptive = cmd.receptive && rid != 0;
  if (!receptive) {
    for (Child* t : targets)
      if (Connection* conn = connection_of(*t)) deliver(*conn, origin, 0, false, cmd.data);
    if (rid != 0) origin.reply(MessageType::cluster_command, rid, proto::encode(proto::BroadcastReply{}));
    return;
  }
  fan_out(origin, rid, targets, deadline(cmd.timeout_ms), MessageType::cluster_command, false,
          [&](Connection& conn, std::uint32_t id) { deliver(conn, origin, id, true, cmd.data); });
}

Child* CommandRouter::owner_of_guild(std::uint64_t guild_id) {
  const auto shard = static_cast<std::uint32_t>((guild_id >> 22) % supervisor_.plan().total_shards);
  for (const auto& cp : supervisor_.plan().clusters)
    if (shard >= cp.first_shard && shard <= cp.last_shard()) return supervisor_.cluster(cp.id);
  return nullptr;
}

template <class Send>
void CommandRouter::fan_out(Connection& origin, std::uint32_t rid, const std::vector<Child*>& targets,
                            std::chrono::milliseconds timeout, MessageType reply_type, bool first_hit, Send&& send) {
  auto bc = std::make_shared<Broadcast>();
  bc->origin = origin.weak_from_this();
  bc->origin_request = rid;
  bc->reply_type = reply_type;
  bc->first_hit = first_hit;
  bc->results.resize(targets.size());
  bc->outstanding = targets.size() + 1;  // +1 until every target is handled: no early finish
  for (std::size_t i = 0; i < targets.size(); ++i) {
    bc->results[i].cluster_id = targets[i]->plan.id;
    Connection* conn = connection_of(*targets[i]);
    if (!conn) {
      fill(*bc, i, TargetStatus::unavailable,
           fmt::format("{} is not running (state {})", targets[i]->label, to_string(targets[i]->state)));
      continue;
    }
    const std::uint32_t id = next_id();
    Waiting w;
    w.target = conn->id();
    w.broadcast = bc;
    w.slot = i;
    wait_for(id, std::move(w), timeout);
    send(*conn, id);
  }
  if (--bc->outstanding == 0) finish(*bc);
}

void CommandRouter::fetch(Connection& origin, const proto::FrameView& frame) {
  const std::uint32_t rid = frame.header.request_id;
  if (rid == 0) return;  // nobody would read the answer
  proto::FetchRequestView req;  // routing fields only; the ids stay in the frame
  if (!proto::decode(frame.payload, req) || req.count == 0) {
    origin.reply_error(rid, ErrorCode::malformed, "malformed fetch (it needs a kind and 1 or more ids)");
    return;
  }
  if (req.count > proto::max_fetch_ids) {
    origin.reply_error(rid, ErrorCode::limit,
                       fmt::format("{} ids in one fetch; at most {}", req.count, proto::max_fetch_ids));
    return;
  }
  std::vector<Child*> targets;
  const std::size_t n = supervisor_.cluster_count();
  if (req.kind == proto::FetchKind::guild) {
    // Only the owners, each once, in cluster id order: a cluster answers for every id it has.
    std::vector<bool> chosen(n, false);
    for (std::uint32_t i = 0; i < req.count; ++i)
      if (Child* owner = owner_of_guild(req.id(i))) chosen[owner->plan.id] = true;
    for (std::uint32_t c = 0; c < n; ++c)
      if (chosen[c]) targets.push_back(supervisor_.cluster(c));
  } else {
    for (std::uint32_t c = 0; c < n; ++c) targets.push_back(supervisor_.cluster(c));
  }
  // One id asked of several clusters: the first hit is the answer. A batch waits for every
  // cluster, since any of them may hold the ids still missing.
  const bool first_hit = req.count == 1 && targets.size() > 1;
  fan_out(origin, rid, targets, deadline(req.timeout_ms), MessageType::fetch, first_hit,
          [&](Connection& conn, std::uint32_t id) { conn.send(MessageType::fetch_deliver, 0, id, frame.payload); });
}

void CommandRouter::on_result(Connection& target, const proto::FrameView& frame) {
  auto it = waiting_.find(frame.header.request_id);
  if (it == waiting_.end() || it->second.target != target.id()) return;  // late: already timed out
  Waiting w = std::move(it->second);
  waiting_.erase(it);
  prune_deadlines();
  if (frame.header.has(proto::FrameFlags::error)) {
    proto::ErrorReply err;
    const bool ok = proto::decode(frame.payload, err);
    // A fetch's miss is an answer, not an error: "not found" only when every target says so.
    const TargetStatus status = ok && err.code == ErrorCode::not_found ? TargetStatus::not_found : TargetStatus::error;
    resolve(w, status, ok ? std::string_view(err.message) : "malformed error reply");
    return;
  }
  resolve(w, TargetStatus::ok, text_of(frame.payload));
}

void CommandRouter::detach(Connection& conn) {
  std::vector<std::uint32_t> ids;
  for (const auto& [id, w] : waiting_)
    if (w.target == conn.id()) ids.push_back(id);
  for (const std::uint32_t id : ids) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) continue;  // resolved meanwhile by a reply we sent
    Waiting w = std::move(it->second);
    waiting_.erase(it);
    resolve(w, TargetStatus::exited, "target exited before answering");
  }
  prune_deadlines();
}

void CommandRouter::resolve(Waiting& w, TargetStatus status, std::string_view data) {
  if (w.broadcast) {
    fill(*w.broadcast, w.slot, status, data);
    return;
  }
  auto origin = w.origin.lock();
  if (!origin || !origin->open()) return;
  const std::uint32_t rid = w.origin_request;
  const std::string& label = w.service->label;
  switch (status) {
    case TargetStatus::ok:
      // From the target's input buffer straight into the origin's output buffer.
      origin->reply(MessageType::service_command, rid, bytes_of(data));
      return;
    case TargetStatus::error:
      origin->reply_error(rid, ErrorCode::rejected, data);
      return;
    case TargetStatus::timeout:
      origin->reply_error(rid, ErrorCode::timeout, fmt::format("{} did not answer in time", label));
      return;
    case TargetStatus::exited:
      origin->reply_error(rid, ErrorCode::target_exited, fmt::format("{} exited before answering", label));
      return;
    case TargetStatus::unavailable:
      origin->reply_error(rid, ErrorCode::unavailable, data);
      return;
    case TargetStatus::not_found:
      origin->reply_error(rid, ErrorCode::not_found, data);
      return;
  }
}

void CommandRouter::fill(Broadcast& bc, std::size_t slot, TargetStatus status, std::string_view data) {
  --bc.outstanding;
  if (bc.answered) return;
  if (bc.first_hit && status == TargetStatus::ok) {
    // The first hit answers alone; the other targets' answers are dropped when they come.
    bc.answered = true;
    auto origin = bc.origin.lock();
    if (!origin || !origin->open()) return;
    const proto::TargetResult& mine = bc.results[slot];
    origin->reply_with(bc.reply_type, bc.origin_request, [&](proto::Writer& w) {
      w.reserve(4 + 4 + 1 + proto::str_size(data));
      w.u32(1).u32(mine.cluster_id).u8(static_cast<std::uint8_t>(status)).str(data);
    });
    return;
  }
  bc.results[slot].status = status;
  bc.results[slot].data.assign(data);
  if (bc.outstanding == 0) finish(bc);
}

void CommandRouter::finish(Broadcast& bc) {
  if (bc.answered) return;
  bc.answered = true;
  auto origin = bc.origin.lock();
  if (!origin || !origin->open()) return;
  origin->reply(bc.reply_type, bc.origin_request, proto::encode(proto::BroadcastReply{std::move(bc.results)}));
}

void CommandRouter::prune_deadlines() {
  deadlines_.prune(waiting_.size(), [this](const auto& e) {
    auto it = waiting_.find(e.id);
    return it != waiting_.end() && it->second.deadline == e.at;
  });
}

void CommandRouter::arm_deadline_timer() {
  if (deadlines_.empty()) {
    armed_for_.reset();
    return;
  }
  armed_for_ = deadlines_.top().at;
  deadline_timer_.expires_at(*armed_for_);
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_deadlines();
  });
}

void CommandRouter::on_deadlines() {
  armed_for_.reset();
  const auto now = Clock::now();
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    const auto e = deadlines_.top();
    deadlines_.pop();
    auto it = waiting_.find(e.id);
    if (it == waiting_.end() || it->second.deadline != e.at) continue;  // answered already
    Waiting w = std::move(it->second);
    waiting_.erase(it);
    resolve(w, TargetStatus::timeout, {});
  }
  prune_deadlines();
  if (!armed_for_) arm_deadline_timer();
}

}  // namespace megane::daemon
