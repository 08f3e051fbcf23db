// Helpers for the payload codec tests: golden bytes written as a list, and the check every
// decoder must pass (no prefix of a valid payload decodes, nor the payload with a byte more).
#pragma once

#include <cstdint>
#include <initializer_list>

#include <megane/proto/wire.hpp>

#include "catch.hpp"

namespace megane::test {

inline proto::Bytes bytes(std::initializer_list<int> values) {
  proto::Bytes out;
  for (const int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

template <class M>
void check_rejects_truncated_and_trailing(const proto::Bytes& valid) {
  for (std::size_t n = 0; n < valid.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    M out;
    CHECK_FALSE(proto::decode(proto::ByteView(valid.data(), n), out));
  }
  proto::Bytes longer = valid;
  longer.push_back(0);
  M out;
  CHECK_FALSE(proto::decode(longer, out));
}

}  // namespace megane::test
