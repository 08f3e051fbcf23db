#include "event_hub.hpp"

#include <chrono>

#include <megane/proto/command_messages.hpp>

namespace megane::daemon {
namespace {

std::uint64_t unix_ms_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

void EventHub::subscribe(Connection& conn, std::uint32_t mask) {
  subscribers_[conn.id()] = Subscriber{conn.weak_from_this(), mask};
  for (const Replayed& r : replayed_)
    if (mask & proto::event_bit(r.kind)) deliver(conn, r.kind, r.unix_ms, r.json);
}

void EventHub::publish(proto::EventKind kind, const std::string& json) {
  const std::uint64_t now = unix_ms_now();
  if (kind == proto::EventKind::all_clusters_ready || kind == proto::EventKind::all_members_cached)
    replayed_.push_back(Replayed{kind, now, json});
  const std::uint32_t bit = proto::event_bit(kind);
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    auto conn = it->second.conn.lock();
    if (!conn || !conn->open()) {
      it = subscribers_.erase(it);
      continue;
    }
    if (it->second.mask & bit) deliver(*conn, kind, now, json);
    ++it;
  }
  for (const auto& listener : listeners_) listener(kind, json);
}

void EventHub::deliver(Connection& conn, proto::EventKind kind, std::uint64_t unix_ms, const std::string& json) {
  const auto payload = proto::encode(proto::Event{kind, unix_ms, json});
  conn.send(proto::MessageType::event, 0, 0, payload);
}

}  // namespace megane::daemon
