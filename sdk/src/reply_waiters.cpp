#include "reply_waiters.hpp"

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

void ReplyWaiters::complete_all(const Reply& reply) {
  auto all = std::move(waiters_);
  waiters_.clear();
  for (auto& [id, w] : all) resume(w, reply);
  deadlines_ = {};
  armed_for_.reset();
  timer_.cancel();
}

void ReplyWaiters::resume(Waiter& w, Reply reply, bool clear_slot, Resume how) {
  Handler h = std::move(*w.handler);
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
        std::move(h)(std::move(reply));
      } catch (...) {
        asio::post(executor_, [e = std::current_exception()] { std::rethrow_exception(e); });
      }
      return;
    }
    // Another executor: inline when we are on its thread; an exception the coroutine lets
    // escape is captured by that io_context and rethrown from run(), as after a post.
    asio::dispatch(ex, [h = std::move(h), r = std::move(reply)]() mutable { std::move(h)(std::move(r)); });
    return;
  }
  asio::post(executor_, [h = std::move(h), r = std::move(reply)]() mutable { std::move(h)(std::move(r)); });
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
