// Fans lifecycle events out to subscribed connections. A subscriber that arrives after a
// once-per-start event (all_clusters_ready, all_members_cached) gets it at once, so no worker
// waits forever for it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <megane/proto/protocol.hpp>

#include "connection.hpp"

namespace megane::daemon {

class EventHub {
 public:
  void subscribe(Connection& conn, std::uint32_t mask);
  void unsubscribe(std::uint64_t connection_id) { subscribers_.erase(connection_id); }
  void publish(proto::EventKind kind, const std::string& json);
  // In-process listeners (the notifier) get every published event, after the connections.
  using Listener = std::function<void(proto::EventKind kind, const std::string& json)>;
  void listen(Listener listener) { listeners_.push_back(std::move(listener)); }
  std::size_t subscriber_count() const noexcept { return subscribers_.size(); }

 private:
  struct Subscriber {
    std::weak_ptr<Connection> conn;
    std::uint32_t mask = 0;
  };

  void deliver(Connection& conn, proto::EventKind kind, std::uint64_t unix_ms, const std::string& json);

  std::map<std::uint64_t, Subscriber> subscribers_;
  std::vector<Listener> listeners_;
  // The once-per-start events sent so far: kind, when, and the JSON.
  struct Replayed {
    proto::EventKind kind;
    std::uint64_t unix_ms;
    std::string json;
  };
  std::vector<Replayed> replayed_;
};

}  // namespace megane::daemon
