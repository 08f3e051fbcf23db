#include "member_requests.hpp"

#include <fmt/format.h>

#include "json_read.hpp"

namespace megane::cache {

void MemberRequests::on_dispatch(const Dispatch& d) {
  if (d.name == "GUILD_CREATE") {
    element unavailable;
    on_guild_create(d.shard_id, snowflake(d.data["id"]),
                    d.data["unavailable"].get(unavailable) == simdjson::SUCCESS && boolean(unavailable));
  } else if (d.name == "GUILD_MEMBERS_CHUNK") {
    std::uint64_t index = 0, count = 0;
    if (d.data["chunk_index"].get(index) != simdjson::SUCCESS || d.data["chunk_count"].get(count) != simdjson::SUCCESS) {
      return;
    }
    if (index + 1 >= count) done(snowflake(d.data["guild_id"]));
  } else if (d.name == "GUILD_DELETE") {
    const std::uint64_t id = snowflake(d.data["id"]);
    requested_.erase(id);  // an outage or a removal: ask again when it is back
    awaiting_.erase(id);
    done(id);
  } else if (d.name == "READY") {
    std::erase_if(requested_, [&](const auto& entry) {
      if (entry.second != d.shard_id) return false;
      pending_.erase(entry.first);  // asked again at its GUILD_CREATE
      return true;
    });
    // Not done before the GUILD_CREATE of every guild READY lists has been seen.
    simdjson::dom::array guilds;
    if (d.data["guilds"].get(guilds) == simdjson::SUCCESS) {
      for (const element g : guilds) {
        if (const std::uint64_t id = snowflake(g["id"])) awaiting_.insert(id);
      }
    }
  }
}

void MemberRequests::on_guild_create(std::uint32_t shard, std::uint64_t id, bool unavailable) {
  if (unavailable) return;
  awaiting_.erase(id);
  if (id == 0 || requested_.contains(id)) return;
  requested_.emplace(id, shard);
  pending_.insert(id);
  // query "" with limit 0: every member (needs the GUILD_MEMBERS intent).
  send_(shard, fmt::format(R"({{"op":8,"d":{{"guild_id":"{}","query":"","limit":0}}}})", id));
}

void MemberRequests::done(std::uint64_t guild_id) {
  if (pending_.erase(guild_id) == 1 && pending_.empty() && awaiting_.empty() && all_cached_) all_cached_();
}

}  // namespace megane::cache
