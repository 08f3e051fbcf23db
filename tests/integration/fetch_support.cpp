#include "fetch_support.hpp"

#include <fstream>
#include <iterator>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/messages.hpp>
#include <simdjson.h>

#include "catch.hpp"

namespace megane::test {

// 4 shards over 2 clusters of the fetch bot: cluster 0 has shards 0-1, cluster 1 shards 2-3.
std::string fetch_config(const Fakecord& fc, const std::string& cache_section, const std::string& extra,
                         int intents) {
  return "name = \"fetch-test\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-fetch-bot\"\n"
         "env = { FETCH_BOT_RECORD = \"@DIR@/record.txt\" }\n"
         "[[services]]\n"
         "name = \"svc\"\n"
         "executable = \"@BIN@/megane-test-service\"\n"
         "[sharding]\n"
         "shards = 4\n"
         "clusters = 2\n"
         + fc.gateway_section() +
         "intents = " + std::to_string(intents) + "\n"
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n" + cache_section + extra;
}

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// What cluster `cluster` has cached, from the bot's IDS command.
Ids ids_of(Client& c, std::uint32_t cluster) {
  auto r = c.request(proto::MessageType::cluster_command,
                     proto::encode(proto::ClusterCommand{proto::CommandTarget::cluster, cluster, true, 5000, R"({"op":"IDS"})"}),
                     8s);
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  proto::BroadcastReply b;
  REQUIRE(proto::decode(r->payload, b));
  REQUIRE(b.results.size() == 1);
  REQUIRE(b.results[0].status == proto::TargetStatus::ok);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(b.results[0].data);
  Ids out;
  for (auto [key, list] : {std::pair{"guilds", &out.guilds}, std::pair{"channels", &out.channels}, std::pair{"users", &out.users}}) {
    for (simdjson::dom::element v : doc[key].get_array()) list->emplace_back(std::string_view(v));
  }
  return out;
}

// Asks cluster `from` to fetch through the SDK; its answer: one object per id.
std::string fetch_via(Client& c, std::uint32_t from, const std::string& kind, const std::vector<std::string>& ids,
                      bool members, int timeout_ms) {
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "\"" : ",\"") + id + "\"";
  const std::string data = R"({"op":"FETCH","kind":")" + kind + R"(","ids":[)" + list + R"(],"members":)" +
                           (members ? "true" : "false") + R"(,"timeout_ms":)" + std::to_string(timeout_ms) + "}";
  auto r = c.request(proto::MessageType::cluster_command,
                     proto::encode(proto::ClusterCommand{proto::CommandTarget::cluster, from, true, 20000, data}), 25s);
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  proto::BroadcastReply b;
  REQUIRE(proto::decode(r->payload, b));
  REQUIRE(b.results.size() == 1);
  INFO(b.results[0].data);
  REQUIRE(b.results[0].status == proto::TargetStatus::ok);
  return b.results[0].data;
}

// A fetch from the control client itself, merged as the SDK and meganectl merge it.
std::vector<proto::FetchOutcome> fetch_direct(Client& c, proto::FetchKind kind, std::vector<std::uint64_t> ids,
                                              bool members, std::uint32_t timeout_ms) {
  proto::FetchRequest req{kind, members, timeout_ms, ids};
  auto r = c.request(proto::MessageType::fetch, proto::encode(req), std::chrono::milliseconds(timeout_ms) + 3s);
  REQUIRE(r);
  INFO(r->text());
  REQUIRE_FALSE(r->is_error());
  CHECK(r->header.type == proto::MessageType::fetch);
  proto::BroadcastReply b;
  REQUIRE(proto::decode(r->payload, b));
  std::vector<proto::FetchOutcome> out;
  REQUIRE(proto::resolve_fetch(ids, b, out));
  return out;
}

std::uint64_t id_of(const std::string& text) { return std::stoull(text); }

// GUILD_CREATEs follow READY: waits until the two clusters hold all of fakecord's 40 guilds.
void wait_cached(Client& c) {
  const bool all = wait_until([&] { return ids_of(c, 0).guilds.size() + ids_of(c, 1).guilds.size() == 40; }, 20s);
  REQUIRE(all);
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

std::string file_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The pid of cluster `id`, once it has one.
pid_t cluster_pid(Daemon& d, std::uint32_t id) {
  auto st = d.status();
  return st && st->clusters.size() > id ? st->clusters[id].pid : 0;
}

}  // namespace megane::test
