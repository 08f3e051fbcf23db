// Writes the seed inputs of the gateway_events fuzz target: the dispatches a cluster's cache
// tracks, as fakecord writes them (its population, its GUILD_CREATE, member objects, READY,
// GUILD_MEMBERS_CHUNK and MESSAGE_CREATE code), plus the update and delete events fakecord
// never sends, built from the same objects in the shapes of Discord's v10 docs.
//   megane-fuzz-gateway-seeds FUZZ_CORPUS_DIR      (e.g. fuzz/corpus)
// Layout of an input: fuzz_gateway_events.cpp. Plain seeds hold the JSON (the fuzzer mutates
// JSON and the target compresses); raw seeds hold fakecord's own zlib-stream bytes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fakecord/guild_json.hpp"
#include "fakecord/json_out.hpp"
#include "fakecord/message_template.hpp"
#include "fakecord/payloads.hpp"
#include "fakecord/population.hpp"
#include "fakecord/zlib_stream.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = fakecord::json;
using fakecord::dispatch_payload;

struct Events {
  const fakecord::Population& pop;
  std::uint64_t seq = 0;
  std::vector<std::string> list;

  void add(std::string_view name, const std::string& d) { list.push_back(dispatch_payload(name, ++seq, d)); }
};

std::string with_guild_id(std::uint64_t guild_id, std::string object) {
  // {"id":...} -> {"guild_id":"G","id":...}
  std::string out = "{\"guild_id\":";
  json::id(out, guild_id);
  out.push_back(',');
  out.append(object, 1);
  return out;
}

// All tracked events for guilds 0 and 1 of the population, in an order a shard could see them.
std::vector<std::string> build_events(const fakecord::Population& pop) {
  Events ev{pop};
  fakecord::ReadyInfo ready;
  ready.session_id = "seedsession";
  ready.resume_gateway_url = "ws://127.0.0.1:1";
  ev.add("READY", fakecord::ready_d(pop, ready));
  for (std::size_t g = 0; g < 2; ++g) {
    std::string d;
    fakecord::append_guild_create(d, pop, g, 50);
    ev.add("GUILD_CREATE", d);
  }
  const std::uint64_t g0 = pop.guild_id(0);
  // GUILD_MEMBERS_CHUNK as fakecord answers op 8.
  std::string chunk = "{\"guild_id\":";
  json::id(chunk, g0);
  chunk.append(",\"members\":[");
  for (std::uint32_t j = 0; j < pop.spec().members_per_guild; ++j) {
    if (j > 0) chunk.push_back(',');
    fakecord::append_member(chunk, pop, 0, j, true);
  }
  chunk.append("],\"chunk_index\":0,\"chunk_count\":1,\"nonce\":\"n1\"}");
  ev.add("GUILD_MEMBERS_CHUNK", chunk);
  // A MESSAGE_CREATE (untracked by the cache: it must pass through untouched).
  const auto templates = fakecord::build_message_templates(pop, 0, 1, true, 1);
  if (!templates.empty()) {
    std::string m;
    templates[0].render(m, ++ev.seq, 1234567890123456789ULL);
    ev.list.push_back(m);
  }
  // Updates and deletes.
  std::string guild_update;
  fakecord::append_guild_create(guild_update, pop, 1, 50);
  ev.add("GUILD_UPDATE", guild_update);
  std::string channel;
  fakecord::append_channel(channel, pop, 0, 0, true);
  ev.add("CHANNEL_CREATE", channel);
  ev.add("CHANNEL_UPDATE", channel);
  std::string channel2;
  fakecord::append_channel(channel2, pop, 0, 1, true);
  ev.add("CHANNEL_DELETE", channel2);
  std::string role;
  fakecord::append_role(role, pop, 0, 1);
  std::string role_event = "{\"guild_id\":";
  json::id(role_event, g0);
  role_event.append(",\"role\":").append(role).push_back('}');
  ev.add("GUILD_ROLE_CREATE", role_event);
  ev.add("GUILD_ROLE_UPDATE", role_event);
  std::string role_delete = "{\"guild_id\":";
  json::id(role_delete, g0);
  role_delete.append(",\"role_id\":");
  json::id(role_delete, pop.role_id(0, 1));
  role_delete.push_back('}');
  ev.add("GUILD_ROLE_DELETE", role_delete);
  std::string member;
  fakecord::append_member(member, pop, 0, 1, true);
  ev.add("GUILD_MEMBER_ADD", with_guild_id(g0, member));
  ev.add("GUILD_MEMBER_UPDATE", with_guild_id(g0, member));
  std::string remove = "{\"guild_id\":";
  json::id(remove, g0);
  remove.append(",\"user\":");
  fakecord::append_user(remove, pop.user(pop.member_user_index(0, 2)));
  remove.push_back('}');
  ev.add("GUILD_MEMBER_REMOVE", remove);
  std::string self;
  fakecord::append_user(self, pop.bot_user());
  ev.add("USER_UPDATE", self);
  std::string outage = "{\"id\":";
  json::id(outage, pop.guild_id(1));
  outage.append(",\"unavailable\":true}");
  ev.add("GUILD_DELETE", outage);
  std::string left = "{\"id\":";
  json::id(left, g0);
  left.push_back('}');
  ev.add("GUILD_DELETE", left);
  return ev.list;
}

// flags, n cuts (spread evenly over `stream_size`), the body.
std::string input(std::uint8_t flags, unsigned cuts, std::size_t stream_size, const std::string& body) {
  std::string out;
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(cuts));
  for (unsigned i = 1; i <= cuts; ++i) {
    const auto at = static_cast<std::uint16_t>(stream_size * i / (cuts + 1));
    out.push_back(static_cast<char>(at & 0xff));
    out.push_back(static_cast<char>(at >> 8));
  }
  return out + body;
}

std::string joined(const std::vector<std::string>& payloads) {
  std::string out;
  for (const auto& p : payloads) {
    if (!out.empty()) out.push_back('\0');
    out += p;
  }
  return out;
}

std::string compressed(const std::vector<std::string>& payloads, int level) {
  fakecord::ZlibStream z(level);
  std::string out;
  for (const auto& p : payloads) z.compress(p, out);
  return out;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FUZZ_CORPUS_DIR\n", argv[0]);
    return 64;
  }
  const fs::path dir = fs::path(argv[1]) / "gateway_events";
  fs::create_directories(dir);
  fakecord::PopulationSpec spec;
  spec.guilds = 4;
  spec.members_per_guild = 4;
  spec.channels_per_guild = 3;
  spec.roles_per_guild = 3;
  const fakecord::Population pop(spec);
  const auto events = build_events(pop);

  constexpr std::uint8_t level6 = 6 << 1, stored = 0 << 1, raw = 1;
  constexpr std::uint8_t members_own = 1 << 5, members_none = 2 << 5, no_channels_roles = 3 << 5, twice = 0x80;
  const std::string all = joined(events);
  write(dir / "seed-all-events", input(level6, 0, 0, all));
  write(dir / "seed-all-events-cut", input(level6, 6, 8000, all));
  write(dir / "seed-all-events-stored-blocks", input(stored, 3, 12000, all));
  write(dir / "seed-all-events-members-own", input(level6 | members_own, 0, 0, all));
  write(dir / "seed-all-events-members-none", input(level6 | members_none, 0, 0, all));
  write(dir / "seed-all-events-no-channels-roles", input(level6 | no_channels_roles, 0, 0, all));
  write(dir / "seed-all-events-replayed", input(level6 | twice, 2, 6000, all));
  // One event each (after READY and a GUILD_CREATE it refers to), so mutations stay focused.
  for (std::size_t i = 3; i < events.size(); ++i) {
    const std::string body = joined({events[0], events[1], events[i]});
    write(dir / ("seed-event-" + std::to_string(i)), input(level6, 1, 1500, body));
  }
  // fakecord's own compressed bytes, as a cluster receives them.
  const std::string stream = compressed(events, 6);
  write(dir / "seed-raw-stream", input(raw, 0, 0, stream));
  write(dir / "seed-raw-stream-cut", input(raw, 8, stream.size(), stream));
  std::printf("%s: %zu events\n", dir.c_str(), events.size());
  return 0;
}
