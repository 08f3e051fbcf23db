#include "fakecord/frame_reader.hpp"

#include <stdexcept>

#include <zlib.h>

namespace fakecord {

FrameReader::FrameReader(bool zlib) : decoder_(std::size_t{1} << 30, false) {
  if (!zlib) return;
  zs_ = std::make_unique<z_stream_s>();
  *zs_ = z_stream_s{};
  if (inflateInit(zs_.get()) != Z_OK) throw std::runtime_error("inflateInit failed");
}

FrameReader::~FrameReader() {
  if (zs_) inflateEnd(zs_.get());
}

std::vector<std::string> FrameReader::feed(std::string_view bytes) {
  std::vector<std::string> out;
  std::vector<ws::Event> events;
  decoder_.feed(bytes, events);
  for (ws::Event& e : events) {
    if (e.kind == ws::EventKind::close || e.kind == ws::EventKind::error) close_code_ = e.code;
    if (e.kind != ws::EventKind::message) continue;
    if (!zs_) {
      out.push_back(std::move(e.data));
      continue;
    }
    compressed_.append(e.data);
    static constexpr std::string_view suffix("\x00\x00\xff\xff", 4);
    if (compressed_.size() < 4 || std::string_view(compressed_).substr(compressed_.size() - 4) != suffix) {
      ++partial_;
      continue;
    }
    std::string text;
    zs_->next_in = reinterpret_cast<Bytef*>(compressed_.data());
    zs_->avail_in = static_cast<uInt>(compressed_.size());
    char buf[16384];
    do {
      zs_->next_out = reinterpret_cast<Bytef*>(buf);
      zs_->avail_out = sizeof buf;
      const int rc = inflate(zs_.get(), Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("inflate failed");
      text.append(buf, sizeof buf - zs_->avail_out);
    } while (zs_->avail_out == 0);  // space left: all input consumed and flushed
    compressed_.clear();
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace fakecord
