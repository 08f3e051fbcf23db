#include "shard_ready_recorder.hpp"

#include <simdjson.h>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/messages.hpp>

#include "chaos_support.hpp"

namespace megane::test {

ShardReadyRecorder::ShardReadyRecorder(const fs::path& socket,
                                       std::map<std::uint32_t, std::vector<std::uint32_t>> shards_of)
    : shards_of_(std::move(shards_of)), thread_([this, socket] { run(socket); }) {
  wait_until([this] { return subscribed_.load() || stop_.load(); }, 10s);
}

ShardReadyRecorder::~ShardReadyRecorder() { stop(); }

void ShardReadyRecorder::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::optional<std::int64_t> ShardReadyRecorder::Spawn::all_ready_after(std::size_t shard_count) const {
  if (!all_ready(shard_count)) return std::nullopt;
  std::int64_t last = 0;
  for (const auto& [shard, at] : ready_ms) last = std::max(last, at);
  return last - spawned_ms;
}

std::vector<ShardReadyRecorder::Spawn> ShardReadyRecorder::spawns() const {
  std::lock_guard lock(mutex_);
  return spawns_;
}

void ShardReadyRecorder::run(fs::path socket) {
  auto c = connect_control(socket);
  if (!c) {
    stop_ = true;
    return;
  }
  using proto::EventKind;
  const auto mask = proto::event_bit(EventKind::cluster_spawned) | proto::event_bit(EventKind::cluster_exited) |
                    proto::event_bit(EventKind::shard);
  auto sub = c->request(proto::MessageType::subscribe, proto::encode(proto::Subscribe{mask}));
  if (!sub || sub->is_error()) {
    stop_ = true;
    return;
  }
  subscribed_ = true;
  simdjson::dom::parser parser;
  while (!stop_) {
    auto frame = c->read(200ms);
    if (!frame) {
      if (c->closed()) return;
      continue;
    }
    proto::Event e;
    if (frame->header.type != proto::MessageType::event || !proto::decode(frame->payload, e)) continue;
    simdjson::dom::element doc;
    if (parser.parse(e.json).get(doc) != simdjson::SUCCESS) continue;
    std::uint64_t cluster = 0, generation = 0;
    if (doc["cluster"].get_uint64().get(cluster) != simdjson::SUCCESS) continue;  // a service
    if (doc["generation"].get_uint64().get(generation) != simdjson::SUCCESS) continue;
    const auto at = static_cast<std::int64_t>(e.unix_ms);
    std::lock_guard lock(mutex_);
    if (e.kind == EventKind::cluster_spawned) {
      spawns_.push_back(Spawn{static_cast<std::uint32_t>(cluster), generation, at, std::nullopt, {}});
      continue;
    }
    // The newest spawn of that process.
    Spawn* s = nullptr;
    for (auto it = spawns_.rbegin(); it != spawns_.rend(); ++it)
      if (it->generation == generation && it->cluster == cluster) {
        s = &*it;
        break;
      }
    if (s == nullptr) continue;  // spawned before we subscribed
    if (e.kind == EventKind::cluster_exited) {
      if (!s->exited_ms) s->exited_ms = at;
    } else if (e.kind == EventKind::shard) {
      std::string_view state;
      std::uint64_t shard = 0;
      if (doc["state"].get_string().get(state) == simdjson::SUCCESS && state == "ready" &&
          doc["shard"].get_uint64().get(shard) == simdjson::SUCCESS)
        s->ready_ms.emplace(static_cast<std::uint32_t>(shard), at);
    }
  }
}

}  // namespace megane::test
