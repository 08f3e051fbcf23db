// The client's view of what fakecord sends: WebSocket frames decoded and, for zlib-stream,
// buffered until the 00 00 ff ff suffix and inflated with one context. Tests and --bench use it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fakecord/ws_codec.hpp"

struct z_stream_s;

namespace fakecord {

class FrameReader {
 public:
  explicit FrameReader(bool zlib);
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // The gateway payloads completed by these bytes.
  std::vector<std::string> feed(std::string_view bytes);
  std::optional<std::uint16_t> close_code() const noexcept { return close_code_; }
  // zlib: WebSocket messages that did not end a payload (a split message's first part).
  std::uint64_t partial_messages() const noexcept { return partial_; }

 private:
  ws::Decoder decoder_;
  std::unique_ptr<z_stream_s> zs_;
  std::string compressed_;
  std::optional<std::uint16_t> close_code_;
  std::uint64_t partial_ = 0;
};

}  // namespace fakecord
