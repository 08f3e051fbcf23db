// Turns one fuzz input into a byte stream cut into chunks, so a target sees the same bytes
// arrive in pieces as a socket would deliver them. Layout of the input:
//   u8  n            number of cut points (taken modulo 16)
//   n x u16 (LE)     cut offsets into the stream (taken modulo its length, then sorted)
//   ...              the stream itself
// Inputs too short for their cut list are treated as a stream with no cuts, so every input
// means something.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace megane::fuzz {

struct SplitInput {
  std::span<const std::uint8_t> stream;
  std::vector<std::size_t> cuts;  // sorted, each in (0, stream.size())

  // The chunks in order; their concatenation is `stream`.
  std::vector<std::span<const std::uint8_t>> chunks() const {
    std::vector<std::span<const std::uint8_t>> out;
    std::size_t at = 0;
    for (const std::size_t c : cuts) {
      out.push_back(stream.subspan(at, c - at));
      at = c;
    }
    out.push_back(stream.subspan(at));
    return out;
  }
};

inline SplitInput split_input(const std::uint8_t* data, std::size_t size) {
  SplitInput in;
  if (size == 0) return in;
  const std::size_t n = data[0] % 16;
  const std::size_t header = 1 + 2 * n;
  if (size < header) {
    in.stream = {data, size};
    return in;
  }
  in.stream = {data + header, size - header};
  if (in.stream.size() < 2) return in;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t raw = data[1 + 2 * i] | (static_cast<std::size_t>(data[2 + 2 * i]) << 8);
    const std::size_t cut = 1 + raw % (in.stream.size() - 1);
    in.cuts.push_back(cut);
  }
  std::sort(in.cuts.begin(), in.cuts.end());
  in.cuts.erase(std::unique(in.cuts.begin(), in.cuts.end()), in.cuts.end());
  return in;
}

}  // namespace megane::fuzz
