// Entities keyed by snowflake, stored by value in one vector with a free list, found through an
// open-addressing index of 4-byte slot numbers (linear probing, backward-shift deletion). Per
// entity that is 8-16 bytes of index instead of the ~40 a node-based std::unordered_map costs,
// which matters at 100,000s of users and channels per process. T needs a `std::uint64_t id`
// (0 marks a free slot). Pointers are valid until the next insert.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace megane::cache {

template <class T>
class IdTable {
 public:
  T* find(std::uint64_t id) noexcept {
    const std::size_t pos = position(id);
    return pos == npos ? nullptr : &slots_[index_[pos]];
  }
  const T* find(std::uint64_t id) const noexcept { return const_cast<IdTable*>(this)->find(id); }

  // The entity with this id, created (value-initialized, id set) when absent.
  T& upsert(std::uint64_t id, bool* created = nullptr) {
    if (T* found = find(id)) {
      if (created) *created = false;
      return *found;
    }
    if (created) *created = true;
    // At most half full: a miss (every new entity) then probes ~2.5 slots, each a random read
    // of an entity, instead of ~8.5 at three quarters.
    if ((size_ + 1) * 2 > index_.size()) grow();
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[slot].id = id;
    place(slot);
    ++size_;
    return slots_[slot];
  }

  bool erase(std::uint64_t id) {
    std::size_t hole = position(id);
    if (hole == npos) return false;
    const std::uint32_t slot = index_[hole];
    slots_[slot] = T{};  // frees the entity's strings now
    free_.push_back(slot);
    --size_;
    // Backward shift: pull later entries of the probe run into the hole so lookups never need
    // tombstones.
    const std::size_t mask = index_.size() - 1;
    for (std::size_t next = (hole + 1) & mask; index_[next] != empty; next = (next + 1) & mask) {
      const std::size_t home = home_of(slots_[index_[next]].id);
      const bool movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next);
      if (movable) {
        index_[hole] = index_[next];
        hole = next;
      }
    }
    index_[hole] = empty;
    return true;
  }

  std::size_t size() const noexcept { return size_; }

  // Hints for a lookup of `id` coming soon: its index bucket, and (once that has arrived) the
  // entity the bucket points to. A miss in a table of 100,000s costs two cache misses in a
  // row; issued a few entities ahead, they overlap with other work instead.
  void prefetch_bucket(std::uint64_t id) const noexcept {
    if (!index_.empty()) __builtin_prefetch(&index_[home_of(id)]);
  }
  void prefetch_entity(std::uint64_t id) const noexcept {
    if (index_.empty()) return;
    const std::uint32_t slot = index_[home_of(id)];
    if (slot != empty) __builtin_prefetch(&slots_[slot]);
  }

  template <class F>
  void for_each(F&& f) const {
    for (const T& t : slots_) {
      if (t.id != 0) f(t);
    }
  }

 private:
  static constexpr std::uint32_t empty = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  // Snowflakes' low bits are a per-process counter: multiply to spread them (Fibonacci hashing).
  std::size_t home_of(std::uint64_t id) const noexcept {
    return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  std::size_t position(std::uint64_t id) const noexcept {
    if (index_.empty() || id == 0) return npos;
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = home_of(id);; i = (i + 1) & mask) {
      if (index_[i] == empty) return npos;
      if (slots_[index_[i]].id == id) return i;
    }
  }

  void place(std::uint32_t slot) {
    const std::size_t mask = index_.size() - 1;
    std::size_t i = home_of(slots_[slot].id);
    while (index_[i] != empty) i = (i + 1) & mask;
    index_[i] = slot;
  }

  void grow() {
    const std::size_t capacity = index_.empty() ? 16 : index_.size() * 2;
    shift_ = 64 - std::countr_zero(capacity);
    index_.assign(capacity, empty);
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].id != 0) place(static_cast<std::uint32_t>(s));
    }
  }

  std::vector<T> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> index_;
  std::size_t size_ = 0;
  int shift_ = 64;
};

}  // namespace megane::cache
