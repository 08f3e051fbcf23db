// The daemon's central key/value store: byte-string keys and values with optional absolute
// expiry. Pure in-memory logic, no I/O, no clock of its own: every op takes `now` (unix ms), so
// tests run on virtual time and expiries can be persisted as they are.
//
// It runs on the daemon's single loop thread, so every op is atomic by construction. Every
// mutating op that changes something returns the effect to persist (a LogRecord); replaying those
// effects in order rebuilds the same store.
//
// Layout: a hash map for point ops plus an ordered index of node pointers for prefix scans
// and stable cursors, plus an expiry index ordered by time so the active expiry step finds due
// keys without sampling. Nodes of boost::unordered_map never move, so the indexes can point into
// it (Boost's closed-addressing map keeps std's node stability but finds its bucket without a
// division per node walked, as libstdc++'s prime-modulo buckets need: GET on 100k random keys
// ~470 -> ~310 ns, SET overwrite ~840 -> ~610 ns, medians of alternating runs of
// bench/store_engine_bench; 16 GETs in flight over the socket: ~110k -> ~120k ops/s). Measured before that on the dev VM with 100k keys in uniform random order:
// GET ~0.42 us (std::map alone: ~1.25 us, a tree walk of cache misses), SET overwrite ~0.86 us,
// both well under 0.25 us on a hot working set. The price is paid by new keys (~2.9 us: the hash
// insert plus the tree walk) and memory (~64 bytes per key for the index nodes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <boost/unordered_map.hpp>
#include <utility>
#include <vector>

#include "store/log_record.hpp"

namespace megane::daemon {

enum class SetCondition : std::uint8_t { always = 0, if_absent = 1, if_present = 2 };

struct WriteResult {
  bool applied = false;
  std::optional<LogRecord> record;  // set exactly when applied (and recording): the effect to persist
};

enum class IncrementError : std::uint8_t { none = 0, not_integer = 1, overflow = 2 };

struct IncrementResult {
  IncrementError error = IncrementError::none;
  std::int64_t value = 0;           // the new value when error == none
  std::optional<LogRecord> record;  // set when error == none (and recording)
};

struct ScanResult {
  std::vector<std::string> keys;
  std::string next_cursor;  // empty when the scan is complete
};

class Store {
 public:
  static constexpr std::size_t max_scan_count = 1000;

  // The value, or nullopt when absent or expired. The view is valid until the next mutating call.
  std::optional<std::string_view> get(std::string_view key, UnixMs now);
  // ttl_ms > 0 expires the key at now + ttl_ms; otherwise the key has no expiry (a plain SET
  // clears an old one, as in Redis).
  WriteResult set(std::string_view key, std::string_view value, UnixMs now, std::int64_t ttl_ms = 0,
                  SetCondition condition = SetCondition::always);
  WriteResult del(std::string_view key, UnixMs now);
  // Adds delta to the canonical base-10 int64 text held by the key (absent = 0). Keeps the TTL.
  IncrementResult increment(std::string_view key, std::int64_t delta, UnixMs now);
  // Applies only when the current value equals `expected` (nullopt: the key must be absent).
  // ttl_ms as in set().
  WriteResult compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                              std::string_view new_value, std::int64_t ttl_ms, UnixMs now);
  // ttl_ms > 0 sets the expiry to now + ttl_ms; ttl_ms <= 0 removes it. False when absent.
  WriteResult expire(std::string_view key, std::int64_t ttl_ms, UnixMs now);
  // nullopt when absent, 0 when the key has no expiry, else the absolute expiry.
  std::optional<UnixMs> expiry(std::string_view key, UnixMs now);

  // Live keys starting with `prefix`, in ascending byte order, from `cursor` (empty = start) on,
  // at most `count` (clamped to 1..max_scan_count). Any key that exists during the whole scan
  // is returned exactly once; keys added or removed meanwhile may or may not be. A page may hold
  // fewer keys than asked (many expired keys in the range) while next_cursor is not empty.
  ScanResult keys(std::string_view prefix, std::string_view cursor, std::size_t count,
                  UnixMs now) const;

  // Active expiry: removes at most max_work keys whose expiry is <= now, soonest first.
  // Returns how many it removed. Expired keys are also removed lazily when touched.
  std::size_t expire_some(UnixMs now, std::size_t max_work);

  // Whether mutating ops return their effect as a LogRecord (default on). Off when nothing
  // persists them: building a record copies the key and the value for nothing.
  void set_recording(bool on) noexcept { recording_ = on; }

  // Entries held, including expired ones not reclaimed yet.
  std::size_t size() const noexcept { return map_.size(); }
  std::size_t keys_with_expiry() const noexcept { return expiries_.size(); }
  void clear();

  // Replays a logged effect. Time-independent on purpose: a key whose expiry has passed is kept
  // until expire_some() runs, so a later Expire record that extended it still finds it.
  void apply(const LogRecord& record);

  // Calls visit(key, value, expire_at) for live entries with key >= from in byte order, until
  // visit returns false (that entry counts as visited) or the entries run out. Returns the key
  // to resume from (empty = done). Used by the log rewrite, a chunk per loop turn.
  std::string visit(std::string_view from, UnixMs now,
                    const std::function<bool(std::string_view, std::string_view, UnixMs)>& visit)
      const;

 private:
  struct Entry;
  using Node = const std::pair<const std::string, Entry>*;
  struct KeyLess {
    using is_transparent = void;
    bool operator()(Node a, Node b) const noexcept { return a->first < b->first; }
    bool operator()(Node a, std::string_view b) const noexcept { return a->first < b; }
    bool operator()(std::string_view a, Node b) const noexcept { return a < b->first; }
  };
  using OrderIndex = std::set<Node, KeyLess>;
  using ExpiryIndex = std::set<std::pair<UnixMs, Node>>;
  struct Entry {
    std::string value;
    UnixMs expire_at = 0;  // 0 = no expiry
    // Where this entry sits in the indexes, so removing it costs no tree walk (DEL on 100k
    // keys: ~3.0 us -> ~1.0 us).
    OrderIndex::iterator order_it;
    ExpiryIndex::iterator expiry_it;  // valid when expire_at != 0
  };
  // Transparent, so a lookup by string_view builds no std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = boost::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  static bool live(const Entry& e, UnixMs now) noexcept { return e.expire_at == 0 || e.expire_at > now; }
  // The entry when present and live; an expired one is removed on the way.
  Map::iterator find_live(std::string_view key, UnixMs now);
  Map::iterator insert(std::string_view key, std::string_view value, UnixMs expire_at);
  void set_expiry(Map::iterator it, UnixMs expire_at);
  void erase(Map::iterator it);

  template <class Make>
  std::optional<LogRecord> effect(Make&& make) const {
    if (!recording_) return std::nullopt;
    return make();
  }

  Map map_;
  OrderIndex order_;
  ExpiryIndex expiries_;
  bool recording_ = true;
};

// The absolute expiry for a TTL: 0 when ttl_ms <= 0, saturating instead of overflowing.
UnixMs expiry_from_ttl(UnixMs now, std::int64_t ttl_ms) noexcept;

// Parses the canonical base-10 text of an int64 ("0", "-12"; not "+1", "01", "-0", " 1").
std::optional<std::int64_t> parse_canonical_int64(std::string_view text) noexcept;

}  // namespace megane::daemon
