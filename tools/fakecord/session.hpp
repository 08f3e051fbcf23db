// A gateway session: what survives a dropped connection. It owns the sequence numbers and the
// replay buffer RESUME needs; a connection attaches to at most one session and sends its events
// from a cursor, so live events, replays and backpressure are one mechanism.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "fakecord/clock.hpp"

namespace fakecord {

class GatewayConnection;
class MessageTemplate;

// One dispatched event, kept compact: big payloads are re-rendered from the population when a
// connection sends them (GUILD_CREATE, burst MESSAGE_CREATE), only arbitrary ones keep their text.
struct ReplayEntry {
  enum class Kind : std::uint8_t { text, guild_create, message };
  Kind kind = Kind::text;
  std::uint32_t index = 0;  // guild index or template index
  std::uint64_t seq = 0;
  std::uint64_t id = 0;     // message id
  std::shared_ptr<const std::string> text;  // the full payload of a text entry
};

struct Session {
  std::string id;
  std::uint32_t shard_id = 0;
  std::uint32_t num_shards = 1;
  std::uint32_t intents = 0;
  std::uint32_t large_threshold = 50;
  std::uint64_t seq = 0;          // of the last dispatched event
  std::deque<ReplayEntry> ring;   // contiguous sequence numbers, oldest first
  GatewayConnection* attached = nullptr;
  TimePoint detached_at{};
  bool invalid = false;           // can no longer be resumed; erased once detached
  const std::vector<MessageTemplate>* templates = nullptr;  // burst MESSAGE_CREATEs of this shard

  std::uint64_t oldest_seq() const { return ring.empty() ? seq + 1 : ring.front().seq; }
  const ReplayEntry* entry(std::uint64_t s) const {
    if (ring.empty() || s < ring.front().seq || s > seq) return nullptr;
    return &ring[static_cast<std::size_t>(s - ring.front().seq)];
  }
};

}  // namespace fakecord
