// MESSAGE_CREATE for bursts, serialized once per (shard, variant) and patched per event: a
// payload is head + seq + mid + message id + tail, so dispatching one costs two integer
// conversions and a memcpy of ~1 KB instead of building JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fakecord/population.hpp"

namespace fakecord {

class MessageTemplate {
 public:
  explicit MessageTemplate(std::string tail) : tail_(std::move(tail)) {}

  static constexpr std::string_view head = R"({"t":"MESSAGE_CREATE","s":)";
  static constexpr std::string_view mid = R"(,"op":0,"d":{"id":")";

  // Appends the payload for (seq, message id); returns the bytes appended.
  std::size_t render(std::string& out, std::uint64_t seq, std::uint64_t message_id) const;
  // The payload's length, without building it (to write a frame header first).
  std::size_t size(std::uint64_t seq, std::uint64_t message_id) const;
  // Writes exactly size(seq, id) bytes at dst.
  void render_to(char* dst, std::uint64_t seq, std::uint64_t message_id) const;
  const std::string& tail() const noexcept { return tail_; }

 private:
  std::string tail_;  // "\",\"type\":0,...}}": everything after the id
};

// `variants` messages from guilds of this shard (empty when the shard has no guild or no text
// channel). Without MESSAGE_CONTENT, content, embeds, attachments and components are empty, as
// Discord sends them to a bot without the intent.
std::vector<MessageTemplate> build_message_templates(const Population& pop, std::uint32_t shard,
                                                     std::uint32_t num_shards, bool message_content,
                                                     std::size_t variants = 8);

// Message ids: snowflakes from a fixed 2024 timestamp, increasing with the counter.
std::uint64_t burst_message_id(std::uint64_t counter);

}  // namespace fakecord
