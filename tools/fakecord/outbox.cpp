#include "fakecord/outbox.hpp"

#include "fakecord/json_out.hpp"
#include "fakecord/message_template.hpp"
#include "fakecord/ws_codec.hpp"

namespace fakecord {

Outbox::Outbox(const OutboxOptions& options) : options_(options) {
  if (options_.zlib) zlib_ = std::make_unique<ZlibStream>(options_.zlib_level);
}

void Outbox::wake(bool was_empty) {
  if (was_empty && notify_) notify_();
}

void Outbox::append_compressed(std::string_view payload, bool bulk) {
  zlib_->set_level(bulk && options_.burst_zlib_level >= 0 ? options_.burst_zlib_level : options_.zlib_level);
  compressed_.clear();
  zlib_->compress(payload, compressed_);
  frame_compressed();
}

void Outbox::frame_compressed() {
  ++zlib_messages_;
  const bool split = options_.split_every != 0 && zlib_messages_ % options_.split_every == 0 &&
                     compressed_.size() >= 2;
  if (!split) {
    ws::append_frame(bytes_, ws::Opcode::binary, compressed_);
    return;
  }
  // Two complete WebSocket messages: only the second ends with 00 00 ff ff, so the client has to
  // buffer until it sees the suffix, as Discord's docs tell it to.
  const std::size_t half = compressed_.size() / 2;
  ws::append_frame(bytes_, ws::Opcode::binary, std::string_view(compressed_).substr(0, half));
  ws::append_frame(bytes_, ws::Opcode::binary, std::string_view(compressed_).substr(half));
}

void Outbox::append_template_compressed(const MessageTemplate& tmpl, std::uint64_t seq, std::uint64_t message_id) {
  // The template's constant text was sent moments ago: reference it instead of compressing it.
  char seq_text[24];
  char id_text[24];
  const std::string_view seq_digits(seq_text, json::digits(seq_text, seq));
  const std::string_view id_digits(id_text, json::digits(id_text, message_id));
  const std::uint64_t start = zlib_->position();
  std::uint64_t& tail_seen = tail_seen_.try_emplace(&tmpl, ZlibStream::no_position).first->second;
  pieces_.clear();
  pieces_.push_back({MessageTemplate::head, head_seen_});
  pieces_.push_back({seq_digits, ZlibStream::no_position});
  pieces_.push_back({MessageTemplate::mid, mid_seen_});
  pieces_.push_back({id_digits, ZlibStream::no_position});
  pieces_.push_back({tmpl.tail(), tail_seen});
  compressed_.clear();
  zlib_->compress_pieces(pieces_, compressed_);
  head_seen_ = start;
  mid_seen_ = start + MessageTemplate::head.size() + seq_digits.size();
  tail_seen = mid_seen_ + MessageTemplate::mid.size() + id_digits.size();
  frame_compressed();
}

void Outbox::send(std::string_view payload, bool bulk) {
  if (finished()) return;
  const bool was_empty = bytes_.empty();
  if (zlib_) {
    append_compressed(payload, bulk);
  } else {
    ws::append_frame(bytes_, ws::Opcode::text, payload);
  }
  ++messages_;
  wake(was_empty);
}

void Outbox::send_template(const MessageTemplate& tmpl, std::uint64_t seq, std::uint64_t message_id) {
  if (finished()) return;
  const bool was_empty = bytes_.empty();
  if (zlib_ && options_.burst_zlib_level < 0) {
    append_template_compressed(tmpl, seq, message_id);
  } else if (zlib_) {
    scratch_.clear();
    tmpl.render(scratch_, seq, message_id);
    append_compressed(scratch_, true);
  } else {
    const std::size_t n = tmpl.size(seq, message_id);
    ws::append_frame_header(bytes_, ws::Opcode::text, n);
    const std::size_t at = bytes_.size();
    bytes_.resize(at + n);
    tmpl.render_to(bytes_.data() + at, seq, message_id);
  }
  ++messages_;
  wake(was_empty);
}

void Outbox::pong(std::string_view data) {
  if (finished()) return;
  const bool was_empty = bytes_.empty();
  ws::append_frame(bytes_, ws::Opcode::pong, data);
  wake(was_empty);
}

void Outbox::close(std::uint16_t code, std::string_view reason) {
  if (finished()) return;
  ws::append_close_frame(bytes_, code, reason);
  close_code_ = code;
  if (notify_) notify_();
}

void Outbox::drop() {
  if (finished()) return;
  dropped_ = true;
  bytes_.clear();
  if (notify_) notify_();
}

void Outbox::take(std::string& out) {
  out.clear();
  out.swap(bytes_);
}

}  // namespace fakecord
