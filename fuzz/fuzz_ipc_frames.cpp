// Fuzz target: the IPC byte stream. The input is cut at points it chooses (split_input.hpp)
// and fed to a FrameAssembler piece by piece, as reads from a socket would; every frame's
// payload goes through every decoder. Invariants: the frames (and the final status) are the
// same as when the whole stream arrives at once, a frame never exceeds the limit, and decoded
// payloads re-encode to the same bytes.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <megane/proto/frame.hpp>

#include "payload_decoders.hpp"
#include "split_input.hpp"

namespace {

using namespace megane;

// Small enough that the fuzzer reaches the limit, large enough for real frames.
constexpr std::uint32_t max_payload = 4096;

struct Seen {
  std::vector<proto::FrameHeader> headers;
  std::vector<proto::Bytes> payloads;
  proto::HeaderStatus last = proto::HeaderStatus::need_more;
};

void drain(proto::FrameAssembler& in, Seen& seen, bool decode) {
  proto::FrameView frame;
  for (;;) {
    const auto st = in.next(frame);
    seen.last = st;
    if (st != proto::HeaderStatus::ok) return;
    if (frame.payload.size() != frame.header.length || frame.header.length > max_payload) std::abort();
    seen.headers.push_back(frame.header);
    seen.payloads.emplace_back(frame.payload.begin(), frame.payload.end());
    if (decode) fuzz::decode_with_every_decoder(frame.payload);
  }
}

bool same(const proto::FrameHeader& a, const proto::FrameHeader& b) {
  return a.type == b.type && a.flags == b.flags && a.request_id == b.request_id && a.length == b.length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::split_input(data, size);

  Seen split;
  proto::FrameAssembler pieces(max_payload);
  for (const auto chunk : input.chunks()) {
    // Alternate the two ways bytes get in: copied (feed) and read into prepared space.
    if (chunk.size() % 2 == 0) {
      pieces.feed(chunk);
    } else {
      auto space = pieces.prepare(chunk.size());
      std::copy(chunk.begin(), chunk.end(), space.begin());
      pieces.commit(chunk.size());
    }
    drain(pieces, split, true);
  }

  Seen whole;
  proto::FrameAssembler at_once(max_payload);
  at_once.feed(input.stream);
  drain(at_once, whole, false);

  if (split.headers.size() != whole.headers.size() || split.last != whole.last) {
    std::fprintf(stderr, "split stream gave %zu frames (%d), whole stream %zu (%d)\n", split.headers.size(),
                 static_cast<int>(split.last), whole.headers.size(), static_cast<int>(whole.last));
    std::abort();
  }
  for (std::size_t i = 0; i < split.headers.size(); ++i) {
    if (!same(split.headers[i], whole.headers[i]) || split.payloads[i] != whole.payloads[i]) std::abort();
  }
  return 0;
}
