// Deadlines of many outstanding requests behind one timer: a min-heap of (deadline, id).
// A request that is answered is not searched for and removed (that would cost a tree node per
// request, as a std::multimap did); the owner keeps the live requests in its own table, and
// the heap drops dead entries when they reach the top and compacts itself when dead entries
// outnumber live ones, so it stays O(live requests) in size and allocates nothing in steady
// state. Used by meganed's command router and the SDK's IPC client; std only, like the rest
// of proto.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace megane::proto {

template <class TimePoint>
class DeadlineHeap {
 public:
  struct Entry {
    TimePoint at;
    std::uint32_t id;
  };

  void push(TimePoint at, std::uint32_t id) {
    heap_.push_back(Entry{at, id});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  const Entry& top() const noexcept { return heap_.front(); }
  void pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }

  // live(entry) says whether the entry's request still waits for exactly this deadline.
  // Drops dead entries from the top; when the heap holds more than twice `live_count` (plus
  // some slack, so small heaps are not rebuilt all the time) it keeps only the live ones.
  template <class Live>
  void prune(std::size_t live_count, Live&& live) {
    if (heap_.size() > 2 * live_count + compact_slack) {
      std::erase_if(heap_, [&](const Entry& e) { return !live(e); });
      std::make_heap(heap_.begin(), heap_.end(), later);
      return;
    }
    while (!heap_.empty() && !live(heap_.front())) pop();
  }

 private:
  static constexpr std::size_t compact_slack = 64;
  static bool later(const Entry& a, const Entry& b) noexcept { return b.at < a.at; }

  std::vector<Entry> heap_;
};

}  // namespace megane::proto
