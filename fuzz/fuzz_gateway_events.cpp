// Fuzz target: the gateway event path of a cluster, from the bytes of WebSocket messages to the
// cache: zlib-stream inflate (ZlibStreamInflater, its zlib and ISA-L paths; messages cut at
// arbitrary points as Discord may split a payload), JSON parse (simdjson DOM, in place in the
// inflater's padded output, as the shard parses it), the envelope read the shard does (op, t,
// d) and Cache::apply, the one public entry point the SDK's ClusterWorker feeds. It calls
// nothing below Cache::apply, so the cache's internals can change freely. Input layout:
//   u8  flags   bit 0: 0 = the body is plain JSON payloads separated by NUL bytes, compressed
//                      here as Discord does (one deflate stream, a Z_SYNC_FLUSH after each);
//                      1 = the body is the compressed stream itself (arbitrary deflate bytes)
//               bits 1-4: deflate level (mod 10; 0 = stored blocks)  [plain mode]
//               bits 5-6: member policy (all, own, none, all + no channels/roles)
//               bit 7: apply each payload twice (replayed dispatches after a RESUME)
//   u8  n       number of cut points (mod 16), then n x u16 LE cut offsets into the compressed
//               stream (mod its length); plain mode also cuts at every payload's end
//   ...         the body
// Invariants beyond "no crash, no sanitizer report":
// - plain mode: the payloads inflated are, concatenated, exactly the payloads compressed, and
//   one for one when no piece of a payload happens to end in 00 00 ff ff (then the inflater
//   cannot tell it from a payload's end, like any zlib-stream client);
// - the cache stays consistent: roles, members and nicks sorted by id; every member's user,
//   every channel of a guild cached; role and overwrite ranges inside their pools and lookups
//   (all of these for every entity); cached entities written back as JSON that parses (every
//   one in a small cache; in a large one a fixed sample, so one input's check costs about as
//   much as a small one's: the write-back is the same code for every entity).
// Speed: the deflater (the harness's own, not the code under test) and the simdjson parsers
// are kept across inputs and reset; the inflater and the cache are new for every input.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include <megane/sdk/cache.hpp>

#include "src/gateway/zlib_inflater.hpp"

namespace {

using megane::gateway::ZlibStreamInflater;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "gateway_events invariant broken: %s\n", what);
  std::abort();
}

constexpr unsigned char sync_suffix[4] = {0x00, 0x00, 0xff, 0xff};

bool ends_with_suffix(const std::string& s, std::size_t end) {
  return end >= 4 && std::memcmp(s.data() + end - 4, sync_suffix, 4) == 0;
}

// One deflate stream, a sync flush after each payload: what Discord sends with
// compress=zlib-stream. Returns the stream and the offset where each payload's bytes end.
// One deflate context for the process (deflateInit allocates ~256 KiB); deflateReset and
// deflateParams before any input make it a fresh stream at `level`.
z_stream& deflater(int level) {
  static z_stream zs = [] {
    z_stream z{};
    if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) std::abort();
    return z;
  }();
  if (deflateReset(&zs) != Z_OK || deflateParams(&zs, level, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  return zs;
}

std::string compress_stream(const std::vector<std::string_view>& payloads, int level,
                            std::vector<std::size_t>& ends) {
  z_stream& zs = deflater(level);
  std::string out;
  unsigned char buf[16384];
  for (const std::string_view p : payloads) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p.data()));
    zs.avail_in = static_cast<uInt>(p.size());
    do {
      zs.next_out = buf;
      zs.avail_out = sizeof buf;
      if (deflate(&zs, Z_SYNC_FLUSH) == Z_STREAM_ERROR) std::abort();
      out.append(reinterpret_cast<char*>(buf), sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
    ends.push_back(out.size());
  }
  return out;
}

megane::CacheOptions options_for(std::uint8_t flags) {
  megane::CacheOptions o;
  switch ((flags >> 5) & 3) {
    case 0: o.members = megane::MemberCache::all; break;
    case 1: o.members = megane::MemberCache::own; break;
    case 2: o.members = megane::MemberCache::none; break;
    default:
      o.channels = false;
      o.roles = false;
      break;
  }
  return o;
}

void must_parse(simdjson::dom::parser& parser, const std::optional<std::string>& json, const char* what) {
  if (!json) fail(what);
  simdjson::dom::element ignored;
  if (parser.parse(*json).get(ignored) != simdjson::SUCCESS) {
    std::fprintf(stderr, "%s\n", json->c_str());
    fail(what);
  }
}

// Entities of one list written back as JSON: all of a short list, else `written_back` of them
// spread evenly, the first and the last included. Deterministic: a finding replays.
constexpr std::size_t written_back = 16;

bool write_back(std::size_t index, std::size_t count) {
  if (count <= written_back) return true;
  const std::size_t stride = (count + written_back - 1) / written_back;
  return index % stride == 0 || index + 1 == count;
}

simdjson::dom::parser& check_parser() {
  static simdjson::dom::parser parser;
  return parser;
}

void check_cache(const megane::Cache& cache) {
  simdjson::dom::parser& parser = check_parser();
  std::size_t members = 0;
  cache.for_each_guild([&](const megane::CachedGuild& g) {
    members += g.members.size();
    for (std::size_t i = 1; i < g.roles.size(); ++i)
      if (g.roles[i - 1].id >= g.roles[i].id) fail("roles not sorted by id");
    for (std::size_t i = 1; i < g.members.size(); ++i)
      if (g.members[i - 1].user_id >= g.members[i].user_id) fail("members not sorted by user id");
    for (std::size_t i = 1; i < g.nicks.size(); ++i)
      if (g.nicks[i - 1].user_id >= g.nicks[i].user_id) fail("nicks not sorted by user id");
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      const megane::CachedMember& m = g.members[i];
      if (std::size_t{m.roles_offset} + m.role_count > g.member_role_pool.size()) fail("member roles outside the pool");
      if (cache.user(m.user_id) == nullptr) fail("a member's user is not cached");
      if (cache.member(g.id, m.user_id) != &m) fail("member lookup");
      if (write_back(i, g.members.size())) must_parse(parser, cache.member_json(g.id, m.user_id), "member_json");
    }
    for (std::size_t i = 0; i < g.channel_ids.size(); ++i) {
      const std::uint64_t cid = g.channel_ids[i];
      const megane::CachedChannel* c = cache.channel(cid);
      if (c == nullptr) fail("a guild's channel is not cached");
      if (c->guild_id != g.id) fail("a guild's channel names another guild");
      if (std::size_t{c->overwrites_offset} + c->overwrite_count > g.overwrite_pool.size())
        fail("channel overwrites outside the pool");
      if (write_back(i, g.channel_ids.size())) must_parse(parser, cache.channel_json(cid), "channel_json");
    }
    for (const megane::CachedRole& r : g.roles)
      if (cache.role(g.id, r.id) != &r) fail("role lookup");
    // With its members only while they are few: the guild's own fields and roles always.
    must_parse(parser, cache.guild_json(g.id, g.members.size() <= written_back), "guild_json");
  });
  if (cache.counts().members != members) fail("counts().members");
  if (cache.self_id() != 0 && cache.user(cache.self_id()) != nullptr)
    must_parse(parser, cache.user_json(cache.self_id()), "user_json");
}

// What the shard does with one inflated payload: parse in place (the inflater pads its
// output), read the envelope, hand a dispatch's name and d to the cache.
void handle_payload(simdjson::dom::parser& parser, megane::Cache& cache, std::string_view json, bool twice) {
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size(), false).get(doc) != simdjson::SUCCESS) return;
  std::int64_t op = -1;
  if (doc["op"].get_int64().get(op) != simdjson::SUCCESS || op != 0) return;
  std::string_view name;
  if (doc["t"].get_string().get(name) != simdjson::SUCCESS) name = {};
  simdjson::dom::element data;
  if (doc["d"].get(data) != simdjson::SUCCESS) data = doc;
  cache.apply(name, data);
  if (twice) cache.apply(name, data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  const std::size_t n = data[1] % 16;
  if (size < 2 + 2 * n) return 0;
  std::vector<std::size_t> raw_cuts;
  for (std::size_t i = 0; i < n; ++i) raw_cuts.push_back(data[2 + 2 * i] | (std::size_t{data[3 + 2 * i]} << 8));
  const std::string_view body(reinterpret_cast<const char*>(data + 2 + 2 * n), size - 2 - 2 * n);
  const bool plain = (flags & 1) == 0;
  const bool twice = (flags & 0x80) != 0;

  std::vector<std::string_view> payloads;
  std::vector<std::size_t> ends;  // payload ends in the compressed stream (plain mode)
  std::string stream;
  if (plain) {
    std::size_t at = 0;
    for (;;) {
      const std::size_t nul = body.find('\0', at);
      const auto p = body.substr(at, nul == std::string_view::npos ? std::string_view::npos : nul - at);
      if (!p.empty()) payloads.push_back(p);  // Discord sends no empty payloads
      if (nul == std::string_view::npos) break;
      at = nul + 1;
    }
    stream = compress_stream(payloads, static_cast<int>(((flags >> 1) & 0x0f) % 10), ends);
  } else {
    stream.assign(body);
    // Discord ends every message with a sync flush: a message boundary after each one.
    for (std::size_t i = 4; i <= stream.size(); ++i)
      if (ends_with_suffix(stream, i)) ends.push_back(i);
  }
  if (stream.empty()) return 0;

  // Message boundaries: the fuzzer's cuts plus every payload's end.
  std::vector<std::size_t> cuts = ends;
  for (const std::size_t c : raw_cuts) cuts.push_back(1 + c % stream.size());
  cuts.push_back(stream.size());
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  bool ambiguous = false;  // a piece inside a payload ends like a payload (plain mode)
  for (const std::size_t c : cuts)
    if (ends_with_suffix(stream, c) && std::find(ends.begin(), ends.end(), c) == ends.end()) ambiguous = true;

  // Kept across inputs like a shard's across messages; its buffers only grow.
  static simdjson::dom::parser parser;
  megane::Cache cache(options_for(flags));
  // Twice: with the SDK's threshold (zlib for small payloads, ISA-L for large ones, as the
  // shard runs it), feeding the cache; then with a 16-byte one, so ISA-L and the switches
  // between the two inflaters get the fuzzer's streams too (most kept inputs are small).
  for (const std::size_t large : {ZlibStreamInflater::default_large_payload, std::size_t{16}}) {
    const bool feed_cache = large == ZlibStreamInflater::default_large_payload;
    ZlibStreamInflater inflater(large);
    std::string inflated;  // everything inflated, concatenated
    std::vector<std::string> outputs;
    bool failed = false;
    std::size_t at = 0;
    for (const std::size_t c : cuts) {
      const std::string_view message(stream.data() + at, c - at);
      at = c;
      switch (inflater.feed(message)) {
        case ZlibStreamInflater::Result::need_more: break;
        case ZlibStreamInflater::Result::payload: {
          const std::string_view json = inflater.payload();
          // simdjson may read `padding` bytes past the end: they must be ours (ASan checks).
          volatile char sink = 0;
          for (std::size_t i = 0; i < ZlibStreamInflater::padding; ++i) sink = sink ^ json.data()[json.size() + i];
          if (plain) {
            inflated.append(json);
            outputs.emplace_back(json);
          }
          if (feed_cache) handle_payload(parser, cache, json, twice);
          break;
        }
        case ZlibStreamInflater::Result::error:
          if (inflater.error().empty()) fail("an error without a message");
          failed = true;
          // The shard drops the connection; the next one starts a new stream.
          inflater.reset();
          break;
      }
    }

    if (plain) {
      if (failed) fail("a stream zlib wrote did not inflate");
      std::string expected;
      for (const std::string_view p : payloads) expected.append(p);
      if (inflated != expected) fail("the inflated bytes differ from the payloads");
      if (!ambiguous) {
        if (outputs.size() != payloads.size()) fail("not one inflated payload per payload");
        for (std::size_t i = 0; i < outputs.size(); ++i)
          if (outputs[i] != payloads[i]) fail("an inflated payload differs from its payload");
      }
    }
  }
  check_cache(cache);
  return 0;
}
