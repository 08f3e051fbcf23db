// Fans lifecycle events out to subscribed connections. A subscriber that arrives after the
// once-per-start all_clusters_ready event gets it at once, so no worker waits forever for it.
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
  std::optional<std::pair<std::uint64_t, std::string>> all_ready_;  // when, and its JSON
};

}  // namespace megane::daemon
