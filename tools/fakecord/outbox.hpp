// What a gateway connection has to write: ready-to-send WebSocket frames, plus a pending close or
// drop. Payloads are compressed here when the client asked for zlib-stream, so the state machine
// only deals in JSON text and the network only in bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fakecord/zlib_stream.hpp"

namespace fakecord {

class MessageTemplate;

struct OutboxOptions {
  bool zlib = false;
  int zlib_level = 6;
  int burst_zlib_level = -1;  // -1: burst messages as back-references to their template (no zlib)
  std::uint32_t split_every = 0;  // zlib: every Nth message goes out as two WebSocket messages
};

class Outbox {
 public:
  explicit Outbox(const OutboxOptions& options);

  // One gateway payload. `bulk` payloads (bursts) use the cheap compression level.
  void send(std::string_view payload, bool bulk = false);
  // A burst MESSAGE_CREATE straight from its template (no intermediate copy without zlib).
  void send_template(const MessageTemplate& tmpl, std::uint64_t seq, std::uint64_t message_id);
  void pong(std::string_view data);
  // A close frame; nothing is queued after it. The first close or drop wins.
  void close(std::uint16_t code, std::string_view reason);
  // Close the TCP connection without a close frame; pending bytes are discarded.
  void drop();

  bool closing() const noexcept { return close_code_ != 0; }
  std::uint16_t close_code() const noexcept { return close_code_; }
  bool dropped() const noexcept { return dropped_; }
  bool finished() const noexcept { return closing() || dropped_; }
  std::size_t pending() const noexcept { return bytes_.size(); }
  std::uint64_t messages() const noexcept { return messages_; }
  // Swaps the pending bytes into `out` (whose old content is discarded).
  void take(std::string& out);
  void set_split_every(std::uint32_t n) { options_.split_every = n; }
  // Called when bytes become pending or the outbox is closed/dropped: wakes the writer.
  void set_notify(std::function<void()> notify) { notify_ = std::move(notify); }

 private:
  void append_compressed(std::string_view payload, bool bulk);
  void append_template_compressed(const MessageTemplate& tmpl, std::uint64_t seq, std::uint64_t message_id);
  void frame_compressed();
  void wake(bool was_empty);

  OutboxOptions options_;
  std::unique_ptr<ZlibStream> zlib_;
  std::string bytes_;
  std::string scratch_;      // uncompressed payload (zlib path)
  std::string compressed_;   // one compressed message
  // Where the template texts were last sent in the zlib stream (for back-references).
  std::vector<ZlibStream::Piece> pieces_;
  std::uint64_t head_seen_ = ZlibStream::no_position;
  std::uint64_t mid_seen_ = ZlibStream::no_position;
  std::unordered_map<const MessageTemplate*, std::uint64_t> tail_seen_;
  std::uint64_t messages_ = 0;
  std::uint64_t zlib_messages_ = 0;
  std::uint16_t close_code_ = 0;
  bool dropped_ = false;
  std::function<void()> notify_;
};

}  // namespace fakecord
