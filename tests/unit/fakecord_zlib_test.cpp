// fakecord's wire pieces: zlib-stream round trips through zlib's own inflate, WebSocket framing,
// and split messages that a client must buffer until the 00 00 ff ff suffix.
#include <string>
#include <vector>

#include <zlib.h>

#include "catch.hpp"
#include "fakecord/fixed_deflate.hpp"
#include "fakecord/frame_reader.hpp"
#include "fakecord/message_template.hpp"
#include "fakecord/population.hpp"
#include "fakecord/outbox.hpp"
#include "fakecord/ws_codec.hpp"
#include "fakecord/zlib_stream.hpp"

using namespace fakecord;

namespace {

// A client's inflate context, fed one flushed message at a time.
struct Inflater {
  Inflater() { REQUIRE(inflateInit(&zs) == Z_OK); }
  ~Inflater() { inflateEnd(&zs); }
  std::string inflate_message(const std::string& compressed) {
    std::string out;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    zs.avail_in = static_cast<uInt>(compressed.size());
    char buf[4096];
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      const int rc = inflate(&zs, Z_SYNC_FLUSH);
      REQUIRE((rc == Z_OK || rc == Z_BUF_ERROR));
      out.append(buf, sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
    return out;
  }
  z_stream zs{};
};

bool ends_with_suffix(const std::string& s) {
  return s.size() >= 4 && s.compare(s.size() - 4, 4, std::string("\x00\x00\xff\xff", 4)) == 0;
}

std::string mask(std::uint8_t op, const std::string& payload, bool fin = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | op));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  const char key[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return f;
}

}  // namespace

TEST_CASE("fakecord zlib-stream: every message is flushed and inflates with one shared context", "[fakecord]") {
  ZlibStream deflater(6);
  Inflater client;
  const std::vector<std::string> messages = {R"({"op":10,"d":{"heartbeat_interval":41250}})",
                                             std::string(5000, 'a'), R"({"op":11})",
                                             R"({"t":"READY","s":1,"op":0,"d":{"v":10}})"};
  std::size_t total_compressed = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i == 2) deflater.set_level(1);  // a burst changes the level mid-stream
    std::string compressed;
    deflater.compress(messages[i], compressed);
    CHECK(ends_with_suffix(compressed));
    CHECK(client.inflate_message(compressed) == messages[i]);
    total_compressed += compressed.size();
  }
  CHECK(total_compressed < 5200);  // the 5000 'a's compress
}

TEST_CASE("fakecord zlib-stream: split messages need buffering until the suffix", "[fakecord]") {
  Outbox out(OutboxOptions{true, 6, 1, 2});  // every 2nd message split in two
  for (int i = 0; i < 4; ++i) out.send(R"({"t":null,"s":null,"op":11,"d":null,"n":)" + std::to_string(i) + "}");
  std::string bytes;
  out.take(bytes);

  ws::Decoder decoder(1 << 20, false);
  std::vector<ws::Event> events;
  decoder.feed(bytes, events);
  REQUIRE(events.size() == 6);  // 4 messages, 2 of them in two parts
  CHECK(ends_with_suffix(events[0].data));
  CHECK_FALSE(ends_with_suffix(events[1].data));
  CHECK(ends_with_suffix(events[2].data));
  for (const auto& e : events) CHECK(e.opcode == ws::Opcode::binary);

  FrameReader reader(true);
  const auto texts = reader.feed(bytes);
  REQUIRE(texts.size() == 4);
  CHECK(texts[3] == R"({"t":null,"s":null,"op":11,"d":null,"n":3})");
  CHECK(reader.partial_messages() == 2);
}

TEST_CASE("fakecord websocket: server frames use the shortest length encoding", "[fakecord]") {
  std::string out;
  ws::append_frame(out, ws::Opcode::text, "hi");
  CHECK(out == std::string("\x81\x02hi", 4));
  out.clear();
  ws::append_frame_header(out, ws::Opcode::binary, 300);
  CHECK(out == std::string("\x82\x7e\x01\x2c", 4));
  out.clear();
  ws::append_frame_header(out, ws::Opcode::text, 70000);
  CHECK(out.size() == 10);
  CHECK(ws::frame_header_size(125) == 2);
  CHECK(ws::frame_header_size(126) == 4);
  CHECK(ws::frame_header_size(65536) == 10);
  out.clear();
  ws::append_close_frame(out, 4004, "Authentication failed.");
  CHECK(out.substr(0, 4) == std::string("\x88\x18\x0f\xa4", 4));
}

TEST_CASE("fakecord websocket: RFC 6455 accept key", "[fakecord]") {
  CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("fakecord websocket: the decoder unmasks, joins fragments and passes control frames", "[fakecord]") {
  ws::Decoder d(1 << 16);
  std::vector<ws::Event> events;
  const std::string bytes = mask(0x1, "hel", false) + mask(0x9, "p") + mask(0x0, "lo") + mask(0x8, std::string("\x03\xe8", 2) + "bye");
  // One byte at a time: frames split anywhere must still decode.
  for (const char c : bytes) d.feed(std::string_view(&c, 1), events);
  REQUIRE(events.size() == 3);
  CHECK(events[0].kind == ws::EventKind::ping);
  CHECK(events[1].kind == ws::EventKind::message);
  CHECK(events[1].data == "hello");
  CHECK(events[2].kind == ws::EventKind::close);
  CHECK(events[2].code == 1000);
  CHECK(events[2].data == "bye");
}

TEST_CASE("fakecord websocket: protocol errors", "[fakecord]") {
  std::vector<ws::Event> events;
  SECTION("unmasked client frame") {
    ws::Decoder d(1 << 16);
    d.feed(std::string("\x81\x01x", 3), events);
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == ws::EventKind::error);
    CHECK(events[0].code == 1002);
  }
  SECTION("message over the limit") {
    ws::Decoder d(100);
    d.feed(mask(0x1, std::string(200, 'x')), events);
    REQUIRE(events.size() == 1);
    CHECK(events[0].code == 1009);
  }
  SECTION("continuation without a message") {
    ws::Decoder d(100);
    d.feed(mask(0x0, "x"), events);
    REQUIRE(events.size() == 1);
    CHECK(events[0].code == 1002);
  }
}

TEST_CASE("fakecord zlib-stream: hand-written back-references inflate like the real thing", "[fakecord]") {
  // Literals, a long overlapping copy and a sync flush, decoded by zlib's inflate.
  std::string raw("\x78\x9c", 2);
  {
    FixedDeflate block(raw);
    block.literals("abc\xff\x80xyz");
    block.copy(600, 3);  // "xyz" x 200, overlapping
    block.finish_sync_flush();
  }
  CHECK(ends_with_suffix(raw));
  Inflater client;
  std::string expected = "abc\xff\x80xyz";
  for (int i = 0; i < 200; ++i) expected += "xyz";
  CHECK(client.inflate_message(raw) == expected);
}

TEST_CASE("fakecord zlib-stream: burst templates and zlib messages share one stream", "[fakecord]") {
  const Population pop(PopulationSpec{30, 8, 4, 3, 5});
  const auto templates = build_message_templates(pop, 0, 1, true, 8);
  REQUIRE(templates.size() == 8);
  Outbox out(OutboxOptions{true, 6, -1, 5});
  FrameReader reader(true);
  std::vector<std::string> expected;
  std::uint64_t seq = 1;
  for (int round = 0; round < 60; ++round) {
    // Ordinary payloads in between force zlib to learn the hand-written history.
    if (round % 7 == 0) {
      expected.push_back(R"({"t":null,"s":null,"op":11,"d":null,"round":)" + std::to_string(round) + "}");
      out.send(expected.back());
    }
    if (round == 30) {  // > 32 KiB of fresh text: earlier template copies fall out of the window
      expected.push_back("{\"pad\":\"" + std::string(40000, 'q') + "\"}");
      out.send(expected.back());
    }
    for (int k = 0; k < 20; ++k, ++seq) {
      const MessageTemplate& t = templates[seq % templates.size()];
      std::string plain;
      t.render(plain, seq, burst_message_id(seq));
      expected.push_back(plain);
      out.send_template(t, seq, burst_message_id(seq));
    }
  }
  std::string bytes;
  out.take(bytes);
  const auto texts = reader.feed(bytes);
  REQUIRE(texts.size() == expected.size());
  for (std::size_t i = 0; i < texts.size(); ++i) REQUIRE(texts[i] == expected[i]);
  // Most of each burst message is a back-reference: far smaller than the text.
  CHECK(bytes.size() * 10 < 1200 * 20 * 60);

  // --burst-zlib-level 1: the same messages through zlib.
  Outbox deflated(OutboxOptions{true, 6, 1, 0});
  FrameReader reader2(true);
  for (std::uint64_t s = 1; s <= 50; ++s) deflated.send_template(templates[s % 8], s, burst_message_id(s));
  deflated.take(bytes);
  const auto texts2 = reader2.feed(bytes);
  REQUIRE(texts2.size() == 50);
  std::string plain;
  templates[50 % 8].render(plain, 50, burst_message_id(50));
  CHECK(texts2.back() == plain);
}
