// The requests an IpcClient has sent and not had answered yet, each with its deadline, all
// behind one timer. A request used to own a steady_timer of its own plus a shared state: two
// allocations, a timer-queue insertion and often a timerfd_settime per request. Here a waiter
// is a slot in a flat table holding the awaiting coroutine's handler, and the deadlines sit
// in one heap (proto/deadline_heap.hpp) whose timer is re-armed only for an earlier deadline.
//
// A batch (IpcClient::request_batch) is one coroutine waiting for several ids: each id has
// its slot and deadline as above, pointing at one shared group that collects the replies in
// order and resumes the coroutine once, when the last one is in.
//
// A reply read on the loop resumes its coroutine inline (asio::dispatch: on the loop's thread
// that is a direct call), so what the coroutine sends next joins the read batch's write; a
// timeout, a cancellation or a closed connection resumes it through asio::post, never from
// inside the caller's stack.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include <megane/proto/deadline_heap.hpp>
#include <megane/proto/protocol.hpp>
#include <megane/sdk/ipc_client.hpp>

namespace megane::detail {

class ReplyWaiters {
 public:
  // What `co_await async_initiate<use_awaitable_t<>, void(Reply)>` hands its initiation: the
  // suspended coroutine, resumed with the Reply.
  using Handler = boost::asio::async_result<boost::asio::use_awaitable_t<>, void(Reply)>::handler_type;
  using BatchHandler =
      boost::asio::async_result<boost::asio::use_awaitable_t<>, void(std::vector<Reply>)>::handler_type;
  struct BatchMember {
    std::uint32_t id = 0;  // 0: never sent; its answer is already in add_batch's `replies`
    proto::MessageType type = proto::MessageType::error;
  };

  explicit ReplyWaiters(const boost::asio::any_io_executor& executor);
  ReplyWaiters(const ReplyWaiters&) = delete;
  ReplyWaiters& operator=(const ReplyWaiters&) = delete;

  // Waits for the reply to request `id`, at most `timeout`; then Reply{timeout}. A cancelled
  // coroutine (terminal cancellation, e.g. a stopping worker) gets Reply{cancelled}.
  void add(std::uint32_t id, proto::MessageType type, std::chrono::milliseconds timeout, Handler handler);
  // Waits for the replies of every sent member, each at most `timeout`, and resumes the
  // coroutine once with `replies` (one per member, in order) filled in: a reply, or timeout /
  // cancelled / disconnected as add() would answer. Cancelling the coroutine cancels them all.
  void add_batch(std::span<const BatchMember> members, std::vector<Reply> replies,
                 std::chrono::milliseconds timeout, BatchHandler handler);
  enum class Resume : std::uint8_t { post, dispatch };
  // Resumes the waiter of `id` with `reply`; false when nothing waits for it (timed out).
  bool complete(std::uint32_t id, Reply reply, Resume how = Resume::post);
  // Resumes every waiter with a copy of `reply` (the connection closed).
  void complete_all(const Reply& reply);
  bool contains(std::uint32_t id) const { return waiters_.contains(id); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Group {
    std::optional<BatchHandler> handler;
    std::vector<Reply> replies;
    std::vector<std::uint32_t> ids;  // the members still waiting are among these
    std::size_t left = 0;            // members not answered yet
  };
  struct Waiter {
    Waiter() = default;
    Waiter(Waiter&&) = default;
    // The flat table moves its slots around; Asio's handler can be move-constructed only.
    Waiter& operator=(Waiter&& other) noexcept {
      if (this == &other) return *this;
      handler.reset();
      if (other.handler) handler.emplace(std::move(*other.handler));
      group = std::move(other.group);
      index = other.index;
      deadline = other.deadline;
      type = other.type;
      timeout = other.timeout;
      return *this;
    }

    std::optional<Handler> handler;  // a single request; else `group` is set
    std::shared_ptr<Group> group;
    std::size_t index = 0;           // this request's place in group->replies
    Clock::time_point deadline;
    proto::MessageType type = proto::MessageType::error;
    std::chrono::milliseconds timeout{0};
  };

  void cancel(std::uint32_t id);
  void cancel_group(const std::shared_ptr<Group>& group);
  // Answers one waiter: resumes a single request's coroutine, or files the reply in its group
  // and resumes the group's coroutine when it was the last one.
  void resume(Waiter& waiter, Reply reply, bool clear_slot = true, Resume how = Resume::post);
  template <class H, class Value>
  void resume_handler(H handler, Value value, bool clear_slot, Resume how);
  void start_deadline(std::uint32_t id, Clock::time_point at);
  void prune();
  void arm();
  void on_timer();

  boost::asio::any_io_executor executor_;
  boost::unordered_flat_map<std::uint32_t, Waiter> waiters_;
  proto::DeadlineHeap<Clock::time_point> deadlines_;
  boost::asio::steady_timer timer_;
  std::optional<Clock::time_point> armed_for_;
};

}  // namespace megane::detail
