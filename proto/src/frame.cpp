#include <megane/proto/frame.hpp>

#include <algorithm>
#include <cstring>

namespace megane::proto {
namespace {

void put_u16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint16_t get_u16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t get_u32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

}  // namespace

std::string_view to_string(HeaderStatus status) noexcept {
  switch (status) {
    case HeaderStatus::ok: return "ok";
    case HeaderStatus::need_more: return "need more bytes";
    case HeaderStatus::bad_magic: return "not a megane frame (bad magic)";
    case HeaderStatus::too_large: return "frame too large";
  }
  return "?";
}

void encode_header(const FrameHeader& h, std::span<std::uint8_t, frame_header_size> out) noexcept {
  put_u32(out.data(), frame_magic);
  put_u32(out.data() + 4, h.length);
  put_u16(out.data() + 8, static_cast<std::uint16_t>(h.type));
  put_u16(out.data() + 10, h.flags);
  put_u32(out.data() + 12, h.request_id);
}

HeaderStatus decode_header(ByteView in, std::uint32_t max_payload, FrameHeader& out) noexcept {
  if (in.size() < frame_header_size) return HeaderStatus::need_more;
  if (get_u32(in.data()) != frame_magic) return HeaderStatus::bad_magic;
  out.length = get_u32(in.data() + 4);
  out.type = static_cast<MessageType>(get_u16(in.data() + 8));
  out.flags = get_u16(in.data() + 10);
  out.request_id = get_u32(in.data() + 12);
  if (out.length > max_payload) return HeaderStatus::too_large;
  return HeaderStatus::ok;
}

void append_frame(Bytes& out, MessageType type, std::uint16_t flags, std::uint32_t request_id,
                  ByteView payload) {
  const std::size_t at = out.size();
  out.resize(at + frame_header_size + payload.size());
  FrameHeader h{type, flags, request_id, static_cast<std::uint32_t>(payload.size())};
  encode_header(h, std::span<std::uint8_t, frame_header_size>(out.data() + at, frame_header_size));
  if (!payload.empty()) std::memcpy(out.data() + at + frame_header_size, payload.data(), payload.size());
}

std::span<std::uint8_t> FrameAssembler::prepare(std::size_t min_free) {
  if (buffer_.size() - end_ < min_free) {
    compact();
    if (buffer_.size() - end_ < min_free) buffer_.resize(end_ + min_free);
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void FrameAssembler::commit(std::size_t n) noexcept { end_ = std::min(end_ + n, buffer_.size()); }

void FrameAssembler::feed(ByteView bytes) {
  auto space = prepare(bytes.size());
  if (!bytes.empty()) std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

HeaderStatus FrameAssembler::next(FrameView& frame) noexcept {
  if (failed_ != HeaderStatus::ok) return failed_;
  const ByteView avail{buffer_.data() + begin_, end_ - begin_};
  FrameHeader h;
  const HeaderStatus st = decode_header(avail, max_payload_, h);
  if (st == HeaderStatus::need_more) return st;
  if (st != HeaderStatus::ok) {
    failed_ = st;
    frame.header = h;
    return st;
  }
  if (avail.size() - frame_header_size < h.length) return HeaderStatus::need_more;
  frame.header = h;
  frame.payload = avail.subspan(frame_header_size, h.length);
  begin_ += frame_header_size + h.length;
  return HeaderStatus::ok;
}

void FrameAssembler::compact() {
  // Keep the buffer from growing forever: move the unread tail to the front.
  if (begin_ == 0) return;
  if (begin_ != end_) std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

}  // namespace megane::proto
