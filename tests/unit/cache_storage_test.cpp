// The cache's building blocks: compact strings, image hashes, timestamps and the id table.
#include <charconv>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "src/cache/id_table.hpp"
#include "src/cache/json_read.hpp"
#include "catch.hpp"
#include <megane/sdk/cache/compact_string.hpp>
#include <megane/sdk/cache/image_hash.hpp>

using megane::CompactString;
using megane::ImageHash;

TEST_CASE("cache: CompactString keeps short text inline and long text on the heap", "[cache]") {
  CompactString empty;
  CHECK(empty.empty());
  CHECK(empty.view().empty());
  CompactString small("general");
  CHECK(small == "general");
  CHECK(!small.on_heap());
  CompactString fifteen("123456789012345");
  CHECK(!fifteen.on_heap());
  CHECK(fifteen.size() == 15);
  CompactString topic("Talk about the weather here. Be nice.");
  CHECK(topic.on_heap());
  CHECK(topic == "Talk about the weather here. Be nice.");

  CompactString copy = topic;
  CHECK(copy == topic.view());
  CompactString moved = std::move(copy);
  CHECK(moved == "Talk about the weather here. Be nice.");
  CHECK(copy.empty());  // NOLINT: moved-from is empty by design
  moved.assign(moved.view().substr(5));  // from our own block
  CHECK(moved == "about the weather here. Be nice.");
  moved.assign("short");
  CHECK(!moved.on_heap());
  CHECK(moved == "short");
  moved = small;
  CHECK(moved == "general");
}

TEST_CASE("cache: ImageHash packs Discord's hashes and keeps odd ones as text", "[cache]") {
  const std::string plain = "0123456789abcdef0123456789abcdef";
  ImageHash h(plain);
  CHECK(h.str() == plain);
  CHECK(!h.animated());
  ImageHash a("a_" + plain);
  CHECK(a.animated());
  CHECK(a.str() == "a_" + plain);
  ImageHash odd("ABCDEF");  // not Discord's shape: kept as is
  CHECK(odd.str() == "ABCDEF");
  ImageHash copy = odd;
  CHECK(copy.str() == "ABCDEF");
  copy = a;
  CHECK(copy.str() == "a_" + plain);
  ImageHash none("");
  CHECK(none.empty());
  CHECK(none.str().empty());
}

TEST_CASE("cache: ISO 8601 timestamps as Discord writes them", "[cache]") {
  using megane::cache::parse_timestamp_ms;
  CHECK(parse_timestamp_ms("1970-01-01T00:00:00+00:00") == 0);
  CHECK(parse_timestamp_ms("2015-04-26T06:26:56.936000+00:00") == 1430029616936);
  CHECK(parse_timestamp_ms("2015-04-26T06:26:56.936Z") == 1430029616936);
  CHECK(parse_timestamp_ms("2015-04-26T08:26:56+02:00") == 1430029616000);
  CHECK(parse_timestamp_ms("yesterday") == 0);
  CHECK(parse_timestamp_ms("2015-04-26T06:2x:56+00:00") == 0);
}

TEST_CASE("cache: snowflakes are read as std::from_chars reads them", "[cache]") {
  using megane::cache::parse_snowflake;
  auto reference = [](std::string_view s) -> std::uint64_t {
    std::uint64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size() ? v : 0;
  };
  const std::vector<std::string> fixed = {
      "", "0", "7", "81384788765712384", "0000000000000000000000042", "9999999999999999999",
      "18446744073709551615", "18446744073709551616", "99999999999999999999", "123456789012345678901",
      "-1", "+1", " 1", "1 ", "12a4", "1.5", "1e5", std::string("12\0", 3)};
  for (const std::string& s : fixed) CHECK(parse_snowflake(s) == reference(s));
  std::mt19937_64 random(42);
  const std::string alphabet = "0123456789000000000-+ a";
  for (int i = 0; i < 20000; ++i) {
    std::string s(random() % 23, '0');
    for (char& c : s) c = alphabet[random() % (i % 2 ? 10 : alphabet.size())];
    CHECK(parse_snowflake(s) == reference(s));
  }
}

namespace {
struct Entry {
  std::uint64_t id = 0;
  std::uint64_t value = 0;
};
}  // namespace

TEST_CASE("cache: IdTable agrees with std::map through random inserts and erases", "[cache]") {
  megane::cache::IdTable<Entry> table;
  std::map<std::uint64_t, std::uint64_t> model;
  std::mt19937_64 random(7);
  for (int i = 0; i < 50'000; ++i) {
    // Snowflake-like keys in a narrow range, so probe runs collide and wrap.
    const std::uint64_t id = (std::uint64_t{1} << 40) + random() % 4000;
    if (random() % 3 == 0) {
      CHECK(table.erase(id) == (model.erase(id) == 1));
    } else {
      table.upsert(id).value = static_cast<std::uint64_t>(i);
      model[id] = static_cast<std::uint64_t>(i);
    }
  }
  REQUIRE(table.size() == model.size());
  for (const auto& [id, value] : model) {
    const Entry* e = table.find(id);
    REQUIRE(e);
    CHECK(e->value == value);
  }
  std::size_t seen = 0;
  table.for_each([&](const Entry&) { ++seen; });
  CHECK(seen == model.size());
  CHECK(table.find(12345) == nullptr);
  CHECK(table.find(0) == nullptr);
}
