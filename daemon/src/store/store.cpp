#include "store/store.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace megane::daemon {

UnixMs expiry_from_ttl(UnixMs now, std::int64_t ttl_ms) noexcept {
  if (ttl_ms <= 0) return 0;
  UnixMs at = 0;
  if (__builtin_add_overflow(now, ttl_ms, &at)) return std::numeric_limits<UnixMs>::max();
  return at;
}

std::optional<std::int64_t> parse_canonical_int64(std::string_view text) noexcept {
  const std::size_t digits_at = !text.empty() && text[0] == '-' ? 1 : 0;
  if (text.size() == digits_at) return std::nullopt;
  // One canonical spelling per number: no leading zeros, no "-0", no '+' (from_chars already
  // refuses '+' and whitespace).
  if (text[digits_at] == '0' && text.size() != 1) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Store::Map::iterator Store::find_live(std::string_view key, UnixMs now) {
  auto it = map_.find(key);
  if (it != map_.end() && !live(it->second, now)) {
    erase(it);
    return map_.end();
  }
  return it;
}

Store::Map::iterator Store::insert(std::string_view key, std::string_view value, UnixMs expire_at) {
  auto it = map_.emplace(std::string(key), Entry{std::string(value), 0, {}, {}}).first;
  it->second.order_it = order_.insert(&*it).first;
  set_expiry(it, expire_at);
  return it;
}

void Store::set_expiry(Map::iterator it, UnixMs expire_at) {
  Entry& e = it->second;
  if (e.expire_at == expire_at) return;
  if (e.expire_at != 0) expiries_.erase(e.expiry_it);
  e.expire_at = expire_at;
  if (expire_at != 0) e.expiry_it = expiries_.insert({expire_at, &*it}).first;
}

void Store::erase(Map::iterator it) {
  if (it->second.expire_at != 0) expiries_.erase(it->second.expiry_it);
  order_.erase(it->second.order_it);
  map_.erase(it);
}

std::optional<std::string_view> Store::get(std::string_view key, UnixMs now) {
  auto it = find_live(key, now);
  if (it == map_.end()) return std::nullopt;
  return std::string_view(it->second.value);
}

WriteResult Store::set(std::string_view key, std::string_view value, UnixMs now, std::int64_t ttl_ms,
                       SetCondition condition) {
  auto it = find_live(key, now);
  const bool present = it != map_.end();
  switch (condition) {
    case SetCondition::always: break;
    case SetCondition::if_absent:
      if (present) return {};
      break;
    case SetCondition::if_present:
      if (!present) return {};
      break;
  }
  const UnixMs at = expiry_from_ttl(now, ttl_ms);
  if (present) {
    it->second.value.assign(value);
    set_expiry(it, at);
  } else {
    insert(key, value, at);
  }
  return {true, effect([&] { return LogRecord::make_set(key, value, at); })};
}

WriteResult Store::del(std::string_view key, UnixMs now) {
  auto it = find_live(key, now);
  if (it == map_.end()) return {};
  erase(it);
  return {true, effect([&] { return LogRecord::make_del(key); })};
}

IncrementResult Store::increment(std::string_view key, std::int64_t delta, UnixMs now) {
  auto it = find_live(key, now);
  std::int64_t current = 0;
  if (it != map_.end()) {
    const auto parsed = parse_canonical_int64(it->second.value);
    if (!parsed) return {IncrementError::not_integer, 0, std::nullopt};
    current = *parsed;
  }
  std::int64_t next = 0;
  if (__builtin_add_overflow(current, delta, &next)) return {IncrementError::overflow, 0, std::nullopt};

  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, next).ptr;
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  if (it == map_.end()) it = insert(key, text, 0);
  else it->second.value.assign(text);
  return {IncrementError::none, next, effect([&] { return LogRecord::make_set(key, text, it->second.expire_at); })};
}

WriteResult Store::compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                                   std::string_view new_value, std::int64_t ttl_ms, UnixMs now) {
  auto it = find_live(key, now);
  const bool present = it != map_.end();
  if (present != expected.has_value()) return {};
  if (present && it->second.value != *expected) return {};
  return set(key, new_value, now, ttl_ms, SetCondition::always);
}

WriteResult Store::expire(std::string_view key, std::int64_t ttl_ms, UnixMs now) {
  auto it = find_live(key, now);
  if (it == map_.end()) return {};
  const UnixMs at = expiry_from_ttl(now, ttl_ms);
  set_expiry(it, at);
  return {true, effect([&] { return LogRecord::make_expire(key, at); })};
}

std::optional<UnixMs> Store::expiry(std::string_view key, UnixMs now) {
  auto it = find_live(key, now);
  if (it == map_.end()) return std::nullopt;
  return it->second.expire_at;
}

ScanResult Store::keys(std::string_view prefix, std::string_view cursor, std::size_t count,
                       UnixMs now) const {
  count = std::clamp<std::size_t>(count, 1, max_scan_count);
  // Bounds the work of one page when a range is full of expired keys not reclaimed yet.
  const std::size_t max_examined = count + max_scan_count;
  ScanResult out;
  std::size_t examined = 0;
  for (auto it = order_.lower_bound(std::max(prefix, cursor)); it != order_.end(); ++it) {
    const std::string& key = (*it)->first;
    if (!key.starts_with(prefix)) break;
    // The cursor is the next key not yet looked at, so a key inserted behind it is skipped and
    // one deleted ahead of it is simply not found: pages never repeat or skip a stable key.
    if (out.keys.size() == count || examined == max_examined) {
      out.next_cursor = key;
      break;
    }
    ++examined;
    if (live((*it)->second, now)) out.keys.push_back(key);
  }
  return out;
}

std::size_t Store::expire_some(UnixMs now, std::size_t max_work) {
  std::size_t removed = 0;
  while (removed < max_work && !expiries_.empty() && expiries_.begin()->first <= now) {
    erase(map_.find(expiries_.begin()->second->first));
    ++removed;
  }
  return removed;
}

void Store::clear() {
  expiries_.clear();
  order_.clear();
  map_.clear();
}

void Store::apply(const LogRecord& r) {
  auto it = map_.find(r.key);
  switch (r.op) {
    case LogOp::set:
      if (it == map_.end()) {
        insert(r.key, r.value, r.at_ms);
      } else {
        it->second.value = r.value;
        set_expiry(it, r.at_ms);
      }
      break;
    case LogOp::del:
      if (it != map_.end()) erase(it);
      break;
    case LogOp::expire:
      if (it != map_.end()) set_expiry(it, r.at_ms);
      break;
  }
}

std::string Store::visit(std::string_view from, UnixMs now,
                         const std::function<bool(std::string_view, std::string_view, UnixMs)>& fn)
    const {
  for (auto it = order_.lower_bound(from); it != order_.end(); ++it) {
    const auto& [key, entry] = **it;
    if (!live(entry, now)) continue;
    if (!fn(key, entry.value, entry.expire_at)) {
      auto next = std::next(it);
      return next == order_.end() ? std::string() : (*next)->first;
    }
  }
  return {};
}

}  // namespace megane::daemon
