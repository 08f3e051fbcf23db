// Golden bytes: if any of these change, the wire changed and protocol_version must change too.
#include <megane/proto/frame.hpp>
#include <megane/proto/messages.hpp>
#include <megane/proto/wire.hpp>

#include <random>
#include <vector>

#include "catch.hpp"

using namespace megane::proto;

namespace {

Bytes hex(std::initializer_list<int> v) {
  Bytes b;
  for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
  return b;
}

}  // namespace

TEST_CASE("proto: protocol constants are frozen for version 2", "[proto]") {
  CHECK(protocol_version == 2);
  CHECK(frame_header_size == 16);
  CHECK(static_cast<int>(MessageType::hello) == 1);
  CHECK(static_cast<int>(MessageType::hello_ok) == 2);
  CHECK(static_cast<int>(MessageType::error) == 3);
  CHECK(static_cast<int>(MessageType::ping) == 4);
  CHECK(static_cast<int>(MessageType::pong) == 5);
  CHECK(static_cast<int>(MessageType::ready) == 6);
  CHECK(static_cast<int>(MessageType::status) == 0x100);
  CHECK(static_cast<int>(MessageType::restart_cluster) == 0x101);
}

TEST_CASE("proto: frame golden bytes", "[proto]") {
  Bytes out;
  const Bytes payload = hex({0xAA, 0xBB});
  append_frame(out, MessageType::status, static_cast<std::uint16_t>(FrameFlags::reply), 0x01020304, payload);
  CHECK(out == hex({'M', 'G', 'N', 0x01,          // magic
                    0x02, 0x00, 0x00, 0x00,       // length 2
                    0x00, 0x01,                   // type 0x0100
                    0x01, 0x00,                   // flags reply
                    0x04, 0x03, 0x02, 0x01,       // request id
                    0xAA, 0xBB}));
}

TEST_CASE("proto: hello golden bytes keep the frozen prefix", "[proto]") {
  Hello h;
  h.role = Role::cluster;
  h.client = "x";
  h.cluster_id = 3;
  h.generation = 0x0102030405060708ULL;
  CHECK(encode(h) == hex({0x02, 0x00,                    // version
                          0x01,                          // role cluster
                          0x01, 0x00, 0x00, 0x00, 'x',   // client
                          0x03, 0x00, 0x00, 0x00,        // cluster id
                          0x00, 0x00, 0x00, 0x00,        // service ""
                          0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
  Hello back;
  REQUIRE(decode(encode(h), back));
  CHECK(back.role == Role::cluster);
  CHECK(back.client == "x");
  CHECK(back.cluster_id == 3);
  CHECK(back.generation == h.generation);
}

TEST_CASE("proto: a future version's hello still yields its version", "[proto]") {
  Bytes future = hex({0x07, 0x00, 0x01, 0xFF, 0xFF});  // v7, then fields we cannot know
  CHECK(peek_hello_version(future) == std::optional<std::uint16_t>(7));
  Hello h;
  CHECK_FALSE(decode(future, h));
  CHECK_FALSE(peek_hello_version(hex({0x07})).has_value());
}

TEST_CASE("proto: messages round-trip and reject truncation and trailing bytes", "[proto]") {
  HelloOk ok;
  ok.daemon = "meganed/0.1.0";
  ok.bot = "bot";
  ok.cluster_id = 2;
  ok.first_shard = 4;
  ok.shard_count = 2;
  ok.total_shards = 8;
  ok.heartbeat_interval_ms = 5000;
  const Bytes b = encode(ok);
  HelloOk back;
  REQUIRE(decode(b, back));
  CHECK(back.first_shard == 4);
  CHECK(back.total_shards == 8);
  for (std::size_t n = 0; n < b.size(); ++n) CHECK_FALSE(decode(ByteView(b.data(), n), back));
  Bytes longer = b;
  longer.push_back(0);
  CHECK_FALSE(decode(longer, back));

  RestartCluster rc{5, true};
  RestartCluster rc_back;
  REQUIRE(decode(encode(rc), rc_back));
  CHECK(rc_back.cluster_id == 5);
  CHECK(rc_back.wait_ready);
  CHECK_FALSE(decode(hex({5, 0, 0, 0, 2}), rc_back));  // bool must be 0 or 1

  ErrorReply e{ErrorCode::version_mismatch, "nope"};
  ErrorReply e_back;
  REQUIRE(decode(encode(e), e_back));
  CHECK(e_back.code == ErrorCode::version_mismatch);
  CHECK(e_back.message == "nope");
}

TEST_CASE("proto: a string length past the end is caught, not read", "[proto]") {
  const Bytes bytes = hex({0xFF, 0xFF, 0xFF, 0x7F, 'a'});  // the Reader only borrows them
  Reader r(bytes);
  CHECK(r.str().empty());
  CHECK_FALSE(r.ok());
  CHECK(r.u32() == 0);  // sticky failure
}

TEST_CASE("proto: the assembler yields the same frames for any split", "[proto]") {
  Bytes stream;
  for (std::uint32_t i = 0; i < 50; ++i) {
    Bytes payload(i * 7 % 300, static_cast<std::uint8_t>(i));
    append_frame(stream, MessageType::ping, 0, i, payload);
  }
  std::mt19937 rng(1234);
  for (int round = 0; round < 20; ++round) {
    FrameAssembler a(1024);
    std::size_t pos = 0;
    std::uint32_t expect = 0;
    while (pos < stream.size()) {
      const std::size_t n = std::min<std::size_t>(stream.size() - pos, 1 + rng() % (round == 0 ? 1 : 97));
      a.feed(ByteView(stream.data() + pos, n));
      pos += n;
      FrameView f;
      while (a.next(f) == HeaderStatus::ok) {
        CHECK(f.header.request_id == expect);
        CHECK(f.payload.size() == expect * 7 % 300);
        if (!f.payload.empty()) CHECK(f.payload[0] == static_cast<std::uint8_t>(expect));
        ++expect;
      }
    }
    CHECK(expect == 50);
    CHECK(a.buffered() == 0);
  }
}

TEST_CASE("proto: oversized and foreign frames are refused for good", "[proto]") {
  FrameAssembler a(16);
  Bytes big;
  append_frame(big, MessageType::status, 0, 1, Bytes(17, 0));
  a.feed(big);
  FrameView f;
  CHECK(a.next(f) == HeaderStatus::too_large);
  CHECK(f.header.length == 17);
  CHECK(a.next(f) == HeaderStatus::too_large);

  FrameAssembler b;
  b.feed(hex({'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'}));
  CHECK(b.next(f) == HeaderStatus::bad_magic);
}
