// What a reload may change in a running meganed: merge_reloadable() copies what applies live,
// keeps what needs a restart, and lists every changed key in its group.
#include <string>

#include "catch.hpp"
#include "reload/reload_plan.hpp"

using namespace megane::daemon;
namespace fs = std::filesystem;

namespace {

Config parse(const std::string& extra, int shards = 2) {
  const fs::path file = fs::path(MEGANE_FIXTURES_DIR) / "good_configs" / "reload.toml";
  const std::string text = "[bot]\nexecutable = \"../bin/true-bot\"\n[sharding]\nshards = " + std::to_string(shards) +
                           "\nclusters = 2\n" + extra;
  LoadResult result = parse_config(text, file);
  if (const auto* error = std::get_if<ConfigError>(&result)) FAIL(error->to_string());
  return std::get<Config>(std::move(result));
}

}  // namespace

TEST_CASE("reload: an unchanged file changes nothing", "[reload]") {
  Config running = parse("");
  const ReloadReport r = merge_reloadable(running, parse(""));
  CHECK_FALSE(r.changed());
  CHECK(r.summary() == "nothing changed");
}

TEST_CASE("reload: live keys apply, planned ones wait for a restart and keep their value", "[reload]") {
  Config running = parse("[stats]\ninterval = \"10s\"\n");
  const Config fresh = parse("[stats]\ninterval = \"2s\"\n[supervision]\nbackoff_initial = \"3s\"\n"
                             "[ipc]\nrequest_timeout = \"30s\"\nbusy_poll_us = 100\nsocket = \"" + (fs::path(MEGANE_FIXTURES_DIR) / "other.sock").string() +
                                 "\"\n[log]\nlevel = \"debug\"\n",
                             8);
  const fs::path socket = running.ipc.socket;
  const ReloadReport r = merge_reloadable(running, fresh);
  CHECK(r.applied ==
        std::vector<std::string>{"supervision", "ipc.request_timeout", "ipc.busy_poll_us", "stats.interval", "log.level"});
  CHECK(r.needs_restart == std::vector<std::string>{"sharding.shards", "ipc.socket"});
  CHECK(r.next_start.empty());
  CHECK(running.stats.interval == std::chrono::seconds(2));
  CHECK(running.supervision.backoff_initial == std::chrono::seconds(3));
  CHECK(running.ipc.request_timeout == std::chrono::seconds(30));
  CHECK(running.ipc.busy_poll_us == 100);
  CHECK(running.log_level == LogLevel::debug);
  CHECK(running.sharding.shards == 2);  // the plan stays
  CHECK(running.ipc.socket == socket);  // the socket too
  CHECK(r.json("/etc/bot.toml") ==
        R"({"config":"/etc/bot.toml","applied":["supervision","ipc.request_timeout","ipc.busy_poll_us","stats.interval",)"
        R"("log.level"],)"
        R"("next_start":[],"needs_restart":["sharding.shards","ipc.socket"]})");
  CHECK(r.json("/b.toml", "config_reloaded").rfind(R"({"type":"config_reloaded","config":"/b.toml",)", 0) == 0);
}

TEST_CASE("reload: the bot's program applies at each cluster's next start", "[reload]") {
  Config running = parse("");
  const ReloadReport r = merge_reloadable(running, parse("[bot.env]\nFOO = \"1\"\n"));
  CHECK(r.next_start == std::vector<std::string>{"bot.env"});
  CHECK(running.bot.env.at("FOO") == "1");
  CHECK(r.summary().find("applies to each process's next start") != std::string::npos);
}

TEST_CASE("reload: [notifications] is taken whole, added, changed or removed", "[reload]") {
  const std::string webhook = "[notifications]\nwebhook_url = \"http://127.0.0.1:1/api/v10/webhooks/1/secret\"\n";
  Config running = parse("");
  ReloadReport r = merge_reloadable(running, parse(webhook));
  CHECK(r.applied == std::vector<std::string>{"notifications"});
  REQUIRE(running.notifications.has_value());
  CHECK(running.notifications->batch_window == std::chrono::seconds(10));

  r = merge_reloadable(running, parse(webhook + "batch_window = \"2s\"\n"));
  CHECK(r.applied == std::vector<std::string>{"notifications"});
  CHECK(running.notifications->batch_window == std::chrono::seconds(2));

  r = merge_reloadable(running, parse(""));
  CHECK(r.applied == std::vector<std::string>{"notifications"});
  CHECK_FALSE(running.notifications.has_value());
}

TEST_CASE("reload: cache snapshot keys: the directory waits for a restart, the size bound for each next start", "[reload]") {
  Config running = parse("");
  const fs::path dir = running.cache_snapshots.dir;
  const ReloadReport r =
      merge_reloadable(running, parse("[cache]\nsnapshots = false\nsnapshot_dir = \"/elsewhere\"\nsnapshot_max_bytes = 2097152\n"));
  CHECK(r.needs_restart == std::vector<std::string>{"cache.snapshots", "cache.snapshot_dir"});
  CHECK(r.next_start == std::vector<std::string>{"cache.snapshot_max_bytes"});
  CHECK(running.cache_snapshots.enabled);
  CHECK(running.cache_snapshots.dir == dir);
  CHECK(running.cache_snapshots.max_bytes == 2097152);
}

TEST_CASE("reload: the [cache] policy applies at each cluster's next start", "[reload]") {
  Config running = parse("[cache]\nmembers = \"all\"\n");
  ReloadReport r = merge_reloadable(running, parse("[cache]\nmembers = \"own\"\nroles = false\n"));
  CHECK(r.needs_restart.empty());
  CHECK(r.next_start == std::vector<std::string>{"cache"});
  REQUIRE(running.cache);
  CHECK(running.cache->members == MemberCachePolicy::own);
  CHECK_FALSE(running.cache->roles);
  // Removing the section hands the clusters back to the bot's own options, also at next start.
  r = merge_reloadable(running, parse(""));
  CHECK(r.next_start == std::vector<std::string>{"cache"});
  CHECK_FALSE(running.cache);
  // Unchanged: nothing listed.
  r = merge_reloadable(running, parse(""));
  CHECK(r.next_start.empty());
}
