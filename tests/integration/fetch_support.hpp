// What the fetch and cache snapshot tests share: the fetch fixture bot's config (4 shards over
// 2 clusters, fakecord's guilds), asking a cluster what it cached (its IDS command) or to
// fetch through the SDK (FETCH), and fetching straight from a control client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <megane/proto/fetch_messages.hpp>

#include "fakecord_process.hpp"
#include "harness.hpp"

namespace megane::test {

using Clock = std::chrono::steady_clock;

// [supervision] for fetch_config's `extra`: a stopped or killed cluster waits ~5 s in backoff
// before its next process, long enough to fetch from it (or damage its files) meanwhile.
inline const std::string slow_restart = "[supervision]\nbackoff_initial = \"5s\"\nmin_spawn_gap = \"50ms\"\n";

// 4 shards over 2 clusters of the fetch bot: cluster 0 has shards 0-1, cluster 1 shards 2-3.
std::string fetch_config(const Fakecord& fc, const std::string& cache_section, const std::string& extra = "",
                         int intents = 513);
std::chrono::milliseconds since(Clock::time_point start);

struct Ids {
  std::vector<std::string> guilds, channels, users;
};

// What cluster `cluster` has cached, from the bot's IDS command.
Ids ids_of(Client& c, std::uint32_t cluster);
// Asks cluster `from` to fetch through the SDK; its answer: one object per id.
std::string fetch_via(Client& c, std::uint32_t from, const std::string& kind, const std::vector<std::string>& ids,
                      bool members = false, int timeout_ms = 3000);
// A fetch from the control client itself, merged as the SDK and meganectl merge it.
std::vector<proto::FetchOutcome> fetch_direct(Client& c, proto::FetchKind kind, std::vector<std::uint64_t> ids,
                                              bool members = false, std::uint32_t timeout_ms = 3000);
std::uint64_t id_of(const std::string& text);
// GUILD_CREATEs follow READY: waits until the two clusters hold all of fakecord's 40 guilds.
void wait_cached(Client& c);
std::size_t count_of(const std::string& haystack, const std::string& needle);
std::string file_text(const fs::path& p);
// The pid of cluster `id`, once it has one.
pid_t cluster_pid(Daemon& d, std::uint32_t id);

}  // namespace megane::test
