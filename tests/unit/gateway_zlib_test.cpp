// zlib-stream inflation: one context per connection, payloads split anywhere across messages.
#include <zlib.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "src/gateway/zlib_inflater.hpp"

using megane::gateway::ZlibStreamInflater;

namespace {

// A deflate stream like Discord's: one context, Z_SYNC_FLUSH after every payload.
struct Deflater {
  Deflater() { deflateInit(&zs, 6); }
  ~Deflater() { deflateEnd(&zs); }
  std::string flush(const std::string& payload) {
    std::string out(payload.size() + 128, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
    zs.avail_in = static_cast<uInt>(payload.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_SYNC_FLUSH);
    out.resize(out.size() - zs.avail_out);
    return out;
  }
  z_stream zs{};
};

}  // namespace

TEST_CASE("zlib-stream: payloads in sequence share the context", "[gateway]") {
  Deflater d;
  ZlibStreamInflater in;
  for (int i = 0; i < 50; ++i) {
    const std::string payload = R"({"op":0,"s":)" + std::to_string(i) + R"(,"t":"MESSAGE_CREATE","d":{"content":"hello"}})";
    REQUIRE(in.feed(d.flush(payload)) == ZlibStreamInflater::Result::payload);
    CHECK(in.payload() == payload);
  }
}

TEST_CASE("zlib-stream: a payload split at every byte boundary", "[gateway]") {
  const std::string payload(20'000, 'x');  // also grows the output buffer past 16 KiB
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}}) {
    Deflater d;
    ZlibStreamInflater in;
    const std::string bytes = d.flush(payload);
    // Cut `cut` bytes from the end: the suffix itself straddles the two messages.
    REQUIRE(in.feed(bytes.substr(0, bytes.size() - cut)) == ZlibStreamInflater::Result::need_more);
    REQUIRE(in.feed(bytes.substr(bytes.size() - cut)) == ZlibStreamInflater::Result::payload);
    CHECK(in.payload() == payload);
  }
}

TEST_CASE("zlib-stream: garbage is an error, reset starts a new stream", "[gateway]") {
  ZlibStreamInflater in;
  const std::string garbage = std::string("\x12\x34\x56\x78", 4) + std::string("\x00\x00\xff\xff", 4);
  CHECK(in.feed(garbage) == ZlibStreamInflater::Result::error);
  CHECK(!in.error().empty());
  in.reset();
  Deflater d;
  REQUIRE(in.feed(d.flush("{}")) == ZlibStreamInflater::Result::payload);
  CHECK(in.payload() == "{}");
}

TEST_CASE("zlib-stream: small and large payloads switch inflaters and keep the window", "[gateway]") {
  // Large payloads go to ISA-L, small ones to zlib; each switch hands over the last 32 KiB.
  // Text that repeats earlier payloads makes deflate refer back across payloads and switches.
  std::mt19937 random(7);
  const std::vector<std::string> words = {"guild", "member", "channel", "role", "\"id\":", "snowflake",
                                          "nick", "avatar", "true", "null", "{", "}", ",", "permission"};
  std::string history;
  auto make = [&](std::size_t words_wanted) {
    std::string s;
    while (s.size() < words_wanted * 6) {
      if (history.size() > 64 && random() % 8 == 0) {  // a piece of an earlier payload
        const std::size_t len = 16 + random() % 200;
        const std::size_t back = std::min<std::size_t>(history.size(), 40'000);
        const std::size_t from = history.size() - back + random() % back;
        s += history.substr(from, len);
      } else {
        s += words[random() % words.size()];
        s += std::to_string(random() % 1000);
      }
    }
    history += s;
    return s;
  };
  for (std::size_t threshold : {std::size_t{64}, std::size_t{700}, ZlibStreamInflater::default_large_payload}) {
    Deflater d;
    ZlibStreamInflater in(threshold);
    for (int i = 0; i < 120; ++i) {
      const std::size_t size = i % 3 == 0 ? 20 + random() % 12'000 : 5 + random() % 60;
      const std::string payload = make(size);
      const std::string bytes = d.flush(payload);
      if (i % 7 == 0 && bytes.size() > 8) {  // split across two messages now and then
        REQUIRE(in.feed(bytes.substr(0, bytes.size() / 2)) == ZlibStreamInflater::Result::need_more);
        REQUIRE(in.feed(bytes.substr(bytes.size() / 2)) == ZlibStreamInflater::Result::payload);
      } else {
        REQUIRE(in.feed(bytes) == ZlibStreamInflater::Result::payload);
      }
      REQUIRE(in.payload() == payload);
    }
    history.clear();
  }
}

TEST_CASE("zlib-stream: garbage in a large payload is an error too", "[gateway]") {
  Deflater d;
  ZlibStreamInflater in(64);
  REQUIRE(in.feed(d.flush(std::string(500, 'a'))) == ZlibStreamInflater::Result::payload);
  std::string garbage(300, '\xff');
  garbage += std::string("\x00\x00\xff\xff", 4);
  CHECK(in.feed(garbage) == ZlibStreamInflater::Result::error);
  CHECK(!in.error().empty());
  CHECK(in.feed(d.flush("{}")) == ZlibStreamInflater::Result::error);  // stays broken until reset()
}
