#include "reply_waiters.hpp"

#include <memory>
#include <utility>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

namespace megane::detail {

namespace asio = boost::asio;

namespace {

Reply local_failure(IpcStatus status, std::string message) {
  Reply r;
  r.status = status;
  r.error = proto::ErrorReply{proto::ErrorCode::internal, std::move(message)};
  return r;
}

}  // namespace

ReplyWaiters::ReplyWaiters(const asio::any_io_executor& executor) : executor_(executor), timer_(executor) {}

void ReplyWaiters::add(std::uint32_t id, proto::MessageType type, std::chrono::milliseconds timeout,
                       Handler handler) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) {
    // The slot belongs to the coroutine and outlives any one request; `this` outlives the
    // slot's use because the handler (and with it the slot) is completed before we go away.
    slot.assign([this, id](asio::cancellation_type type_of_cancel) {
      if ((type_of_cancel & asio::cancellation_type::terminal) != asio::cancellation_type::none)
        cancel(id);
    });
  }
  Waiter w;
  w.handler.emplace(std::move(handler));
  w.deadline = Clock::now() + timeout;
  w.type = type;
  w.timeout = timeout;
  const auto at = w.deadline;
  waiters_.insert_or_assign(id, std::move(w));
  start_deadline(id, at);
}

void ReplyWaiters::add_batch(std::span<const BatchMember> members, std::vector<Reply> replies,
                             std::chrono::milliseconds timeout, BatchHandler handler) {
  auto group = std::make_shared<Group>();
  group->replies = std::move(replies);
  group->replies.resize(members.size());
  for (const BatchMember& m : members) {
    if (m.id != 0) group->ids.push_back(m.id);
  }
  group->left = group->ids.size();
  if (group->left == 0) {  // nothing was sent: answer now, but not from inside the caller
    resume_handler(std::move(handler), std::move(group->replies), /*clear_slot=*/false, Resume::post);
    return;
  }
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) {
    // A weak pointer: the group is gone once answered, and a later cancellation finds nothing.
    slot.assign([this, weak = std::weak_ptr<Group>(group)](asio::cancellation_type type_of_cancel) {
      if ((type_of_cancel & asio::cancellation_type::terminal) == asio::cancellation_type::none) return;
      if (auto g = weak.lock()) cancel_group(g);
    });
  }
  group->handler.emplace(std::move(handler));
  const auto at = Clock::now() + timeout;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].id == 0) continue;
    Waiter w;
    w.group = group;
    w.index = i;
    w.deadline = at;
    w.type = members[i].type;
    w.timeout = timeout;
    waiters_.insert_or_assign(members[i].id, std::move(w));
    start_deadline(members[i].id, at);
  }
}

void ReplyWaiters::start_deadline(std::uint32_t id, Clock::time_point at) {
  deadlines_.push(at, id);
  if (!armed_for_ || at < *armed_for_) arm();
}

bool ReplyWaiters::complete(std::uint32_t id, Reply reply, Resume how) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return false;
  Waiter w = std::move(it->second);
  waiters_.erase(it);
  prune();
  resume(w, std::move(reply), /*clear_slot=*/true, how);
  return true;
}

void ReplyWaiters::cancel(std::uint32_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  Waiter w = std::move(it->second);
  waiters_.erase(it);
  prune();
  // Called by the slot's own handler: clearing the slot here would destroy the running
  // handler; the awaiting coroutine clears it when it resumes.
  resume(w, local_failure(IpcStatus::cancelled, "request cancelled"), /*clear_slot=*/false);
}

void ReplyWaiters::cancel_group(const std::shared_ptr<Group>& group) {
  for (const std::uint32_t id : group->ids) {
    auto it = waiters_.find(id);
    if (it == waiters_.end() || it->second.group != group) continue;  // answered already
    Waiter w = std::move(it->second);
    waiters_.erase(it);
    resume(w, local_failure(IpcStatus::cancelled, "request cancelled"), /*clear_slot=*/false);
  }
  prune();
}

void ReplyWaiters::complete_all(const Reply& reply) {
  auto all = std::move(waiters_);
  waiters_.clear();
  for (auto& [id, w] : all) resume(w, reply);
  deadlines_ = {};
  armed_for_.reset();
  timer_.cancel();
}

void ReplyWaiters::resume(Waiter& w, Reply reply, bool clear_slot, Resume how) {
  if (!w.group) {
    resume_handler(std::move(*w.handler), std::move(reply), clear_slot, how);
    return;
  }
  Group& g = *w.group;
  g.replies[w.index] = std::move(reply);
  if (--g.left > 0) return;
  resume_handler(std::move(*g.handler), std::move(g.replies), clear_slot, how);
}

template <class H, class Value>
void ReplyWaiters::resume_handler(H h, Value value, bool clear_slot, Resume how) {
  if (clear_slot) {
    // A later cancellation of the coroutine must not reach this request's id again.
    auto slot = asio::get_associated_cancellation_slot(h);
    if (slot.is_connected()) slot.clear();
  }
  if (how == Resume::dispatch) {
    const auto ex = asio::get_associated_executor(h, executor_);
    if (ex == executor_) {
      // The coroutine lives on our loop, which is running us: resume it right here, as
      // dispatch would, minus the type-erased executor's function wrapper (an allocation and
      // a few indirect calls per reply; ~5% of a store client's CPU with 16 in flight). An
      // exception that escapes still leaves through the loop's run(), as dispatch arranges.
      try {
        std::move(h)(std::move(value));
      } catch (...) {
        asio::post(executor_, [e = std::current_exception()] { std::rethrow_exception(e); });
      }
      return;
    }
    // Another executor: inline when we are on its thread; an exception the coroutine lets
    // escape is captured by that io_context and rethrown from run(), as after a post.
    asio::dispatch(ex, [h = std::move(h), v = std::move(value)]() mutable { std::move(h)(std::move(v)); });
    return;
  }
  asio::post(executor_, [h = std::move(h), v = std::move(value)]() mutable { std::move(h)(std::move(v)); });
}

void ReplyWaiters::prune() {
  deadlines_.prune(waiters_.size(), [this](const auto& e) {
    auto it = waiters_.find(e.id);
    return it != waiters_.end() && it->second.deadline == e.at;
  });
}

void ReplyWaiters::arm() {
  if (deadlines_.empty()) {
    armed_for_.reset();
    return;
  }
  armed_for_ = deadlines_.top().at;
  timer_.expires_at(*armed_for_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_timer();
  });
}

void ReplyWaiters::on_timer() {
  armed_for_.reset();
  const auto now = Clock::now();
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    const auto e = deadlines_.top();
    deadlines_.pop();
    auto it = waiters_.find(e.id);
    if (it == waiters_.end() || it->second.deadline != e.at) continue;  // answered already
    Waiter w = std::move(it->second);
    waiters_.erase(it);
    resume(w, local_failure(IpcStatus::timeout, fmt::format("no reply to {} within {} ms",
                                                            proto::to_string(w.type), w.timeout.count())));
  }
  prune();
  if (!armed_for_) arm();
}

}  // namespace megane::detail
