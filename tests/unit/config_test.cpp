// The config loader: both formats give the same Config, defaults, path resolution, the
// default socket location, and every malformed fixture fails at the right place.
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_test_macros.hpp>  // v3
#else
#include <catch2/catch.hpp>              // v2
#endif

#include "config.hpp"

using namespace megane::daemon;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

const fs::path fixtures{MEGANE_FIXTURES_DIR};

Config must_load(const fs::path& file) {
  LoadResult result = load_config(file);
  if (const auto* error = std::get_if<ConfigError>(&result)) FAIL(error->to_string());
  return std::get<Config>(std::move(result));
}

Config must_parse(std::string_view text, const fs::path& file) {
  LoadResult result = parse_config(text, file);
  if (const auto* error = std::get_if<ConfigError>(&result)) FAIL(error->to_string());
  return std::get<Config>(std::move(result));
}

ConfigError must_fail(std::string_view text, const fs::path& file) {
  LoadResult result = parse_config(text, file);
  REQUIRE(std::holds_alternative<ConfigError>(result));
  return std::get<ConfigError>(std::move(result));
}

// A config file that does not exist: parse_config only uses the name for errors and paths.
fs::path virtual_file(std::string_view name) { return fixtures / "good_configs" / name; }

constexpr std::string_view minimal_toml =
    "[bot]\nexecutable = \"../bin/true-bot\"\n[sharding]\nshards = 2\n";

// Sets or unsets an environment variable for one scope, then puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void check_same(const Config& a, const Config& b) {
  CHECK(a.name == b.name);
  CHECK(a.bot.executable == b.bot.executable);
  CHECK(a.bot.args == b.bot.args);
  CHECK(a.bot.env == b.bot.env);
  CHECK(a.bot.working_directory == b.bot.working_directory);
  CHECK(a.sharding.shards == b.sharding.shards);
  CHECK(a.sharding.clusters == b.sharding.clusters);
  CHECK(a.sharding.cores == b.sharding.cores);
  const SupervisionConfig& s = a.supervision;
  const SupervisionConfig& t = b.supervision;
  CHECK(s.ready_timeout == t.ready_timeout);
  CHECK(s.stop_timeout == t.stop_timeout);
  CHECK(s.heartbeat_interval == t.heartbeat_interval);
  CHECK(s.heartbeat_timeout == t.heartbeat_timeout);
  CHECK(s.backoff_initial == t.backoff_initial);
  CHECK(s.backoff_max == t.backoff_max);
  CHECK(s.min_spawn_gap == t.min_spawn_gap);
  CHECK(s.stable_after == t.stable_after);
  CHECK(s.crash_window == t.crash_window);
  CHECK(s.crash_limit == t.crash_limit);
  CHECK(s.quarantine_for == t.quarantine_for);
  CHECK(s.fatal_exit_code == t.fatal_exit_code);
  CHECK(a.ipc.socket == b.ipc.socket);
  CHECK(a.ipc.allowed_uids == b.ipc.allowed_uids);
  CHECK(a.ipc.max_frame_bytes == b.ipc.max_frame_bytes);
  CHECK(a.ipc.busy_poll_us == b.ipc.busy_poll_us);
  CHECK(a.ipc.handshake_timeout == b.ipc.handshake_timeout);
  CHECK(a.log_level == b.log_level);
}

}  // namespace

TEST_CASE("TOML and JSON configs with the same content give the same Config", "[config]") {
  const Config toml = must_load(fixtures / "good_configs" / "full.toml");
  const Config json = must_load(fixtures / "good_configs" / "full.json");
  check_same(toml, json);
  CHECK(toml.source == fixtures / "good_configs" / "full.toml");
  CHECK(json.source == fixtures / "good_configs" / "full.json");

  // And the values are the ones written, not defaults.
  CHECK(toml.name == "full-bot");
  CHECK(toml.bot.executable == fixtures / "bin" / "true-bot");
  CHECK(toml.bot.args == std::vector<std::string>{"--verbose", "--shard-info", "ünïcode ✓"});
  CHECK(toml.bot.env == std::map<std::string, std::string>{{"BOT_MODE", "test"}, {"LANG", "C.UTF-8"}});
  CHECK(toml.bot.working_directory == fixtures);
  CHECK(toml.sharding.shards == 16);
  CHECK(toml.sharding.clusters == std::optional<std::uint32_t>(4));
  CHECK(toml.supervision.ready_timeout == milliseconds(90'000));
  CHECK(toml.supervision.stop_timeout == milliseconds(20'000));
  CHECK(toml.supervision.heartbeat_interval == milliseconds(2'500));
  CHECK(toml.supervision.heartbeat_timeout == milliseconds(90'000));
  CHECK(toml.supervision.backoff_initial == milliseconds(500));
  CHECK(toml.supervision.backoff_max == milliseconds(120'000));
  CHECK(toml.supervision.min_spawn_gap == milliseconds(250));
  CHECK(toml.supervision.stable_after == milliseconds(3'600'000));
  CHECK(toml.supervision.crash_window == milliseconds(600'000));
  CHECK(toml.supervision.crash_limit == 3);
  CHECK(toml.supervision.quarantine_for == milliseconds(0));
  CHECK(toml.supervision.fatal_exit_code == 64);
  CHECK(toml.ipc.socket == fixtures / "good_configs" / "run" / "full-bot.sock");
  CHECK(toml.ipc.allowed_uids == std::vector<std::uint32_t>{0, 1000});
  CHECK(toml.ipc.max_frame_bytes == 1'048'576);
  CHECK(toml.ipc.handshake_timeout == milliseconds(3'000));
  CHECK(toml.ipc.busy_poll_us == 100);
  CHECK(toml.log_level == LogLevel::debug);
}

TEST_CASE("keys left out take their documented defaults", "[config]") {
  const Config toml = must_load(fixtures / "good_configs" / "minimal.toml");
  const Config json = must_load(fixtures / "good_configs" / "minimal.json");
  check_same(toml, json);
  const SupervisionConfig defaults;
  check_same(toml, [&] {
    Config expected = toml;
    expected.supervision = defaults;
    return expected;
  }());
  CHECK(toml.name == "minimal");  // the file's stem
  CHECK(toml.bot.args.empty());
  CHECK(toml.bot.env.empty());
  CHECK(toml.bot.working_directory == fixtures / "good_configs");
  CHECK(toml.sharding.shards == 1);
  CHECK_FALSE(toml.sharding.clusters);  // "auto"
  CHECK(toml.sharding.cores.empty());
  CHECK(toml.supervision.ready_timeout == milliseconds(60'000));
  CHECK(toml.supervision.crash_limit == 5);
  CHECK(toml.supervision.fatal_exit_code == 78);
  CHECK(toml.ipc.socket == default_socket_path("minimal"));
  CHECK(toml.ipc.allowed_uids.empty());  // the daemon's own uid is implied, not listed
  CHECK(toml.ipc.max_frame_bytes == 16u << 20);
  CHECK(toml.ipc.handshake_timeout == milliseconds(5'000));
  CHECK(toml.ipc.busy_poll_us == 0);  // never spin unless asked
  CHECK(toml.log_level == LogLevel::info);
}

TEST_CASE("relative paths resolve against the config file's directory", "[config]") {
  SECTION("executable, working directory and socket") {
    const Config c = must_parse(
        "[bot]\nexecutable = \"../bin/./true-bot\"\nworking_directory = \"../bin\"\n"
        "[sharding]\nshards = 1\n[ipc]\nsocket = \"sub/dir/x.sock\"\n",
        virtual_file("paths.toml"));
    CHECK(c.bot.executable == fixtures / "bin" / "true-bot");
    CHECK(c.bot.working_directory == fixtures / "bin");
    CHECK(c.ipc.socket == fixtures / "good_configs" / "sub" / "dir" / "x.sock");
    CHECK(c.name == "paths");
  }
  SECTION("absolute paths are kept") {
    const std::string exe = (fixtures / "bin" / "true-bot").string();
    const Config c = must_parse("{\"bot\": {\"executable\": \"" + exe +
                                    "\", \"working_directory\": \"/\"},"
                                    " \"sharding\": {\"shards\": 1}, \"ipc\": {\"socket\": \"/run/megane/a.sock\"}}",
                                virtual_file("abs.json"));
    CHECK(c.bot.executable == exe);
    CHECK(c.bot.working_directory == "/");
    CHECK(c.ipc.socket == "/run/megane/a.sock");
  }
  SECTION("a config named by a relative path still gets an absolute source") {
    const fs::path relative = fs::relative(fixtures / "good_configs" / "minimal.toml");
    REQUIRE(relative.is_relative());
    const Config c = must_load(relative);
    CHECK(c.source.is_absolute());
    CHECK(c.source == fixtures / "good_configs" / "minimal.toml");
    CHECK(c.bot.executable == fixtures / "bin" / "true-bot");
  }
}

TEST_CASE("the default socket path follows systemd, root, XDG, then /tmp", "[config]") {
  SECTION("RUNTIME_DIRECTORY wins, first of several") {
    ScopedEnv runtime("RUNTIME_DIRECTORY", "/run/megane-a:/run/megane-b");
    ScopedEnv xdg("XDG_RUNTIME_DIR", "/run/user/1000");
    CHECK(default_socket_path("bot") == "/run/megane-a/bot.sock");
  }
  SECTION("without RUNTIME_DIRECTORY") {
    ScopedEnv runtime("RUNTIME_DIRECTORY", nullptr);
    if (::geteuid() == 0) {
      ScopedEnv xdg("XDG_RUNTIME_DIR", "/run/user/1000");
      CHECK(default_socket_path("bot") == "/run/megane/bot.sock");
    } else {
      {
        ScopedEnv xdg("XDG_RUNTIME_DIR", "/run/user/1000");
        CHECK(default_socket_path("bot") == "/run/user/1000/megane/bot.sock");
      }
      ScopedEnv xdg("XDG_RUNTIME_DIR", nullptr);
      CHECK(default_socket_path("bot") ==
            fs::temp_directory_path() / ("megane-" + std::to_string(::geteuid())) / "bot.sock");
    }
  }
  SECTION("a relative RUNTIME_DIRECTORY is ignored") {
    ScopedEnv runtime("RUNTIME_DIRECTORY", "relative/dir");
    CHECK(default_socket_path("bot").is_absolute());
  }
  SECTION("the loader uses it when ipc.socket is absent") {
    ScopedEnv runtime("RUNTIME_DIRECTORY", "/run/test-megane");
    const Config c = must_parse(std::string("name = \"named\"\n") + std::string(minimal_toml),
                                virtual_file("x.toml"));
    CHECK(c.ipc.socket == "/run/test-megane/named.sock");
  }
}

TEST_CASE("sharding: clusters and cores", "[config]") {
  SECTION("clusters = \"auto\" is fine with fewer shards than CPUs") {
    const Config c = must_parse(
        "[bot]\nexecutable = \"../bin/true-bot\"\n[sharding]\nshards = 1\nclusters = \"auto\"\n",
        virtual_file("auto.toml"));
    CHECK_FALSE(c.sharding.clusters);
  }
  SECTION("clusters equal to shards is allowed") {
    const Config c = must_parse(std::string(minimal_toml) + "clusters = 2\n", virtual_file("c.toml"));
    CHECK(c.sharding.clusters == std::optional<std::uint32_t>(2));
  }
  SECTION("cores from this process's affinity mask are accepted, in order") {
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(::sched_getaffinity(0, sizeof set, &set) == 0);
    std::vector<int> cpus;
    for (int cpu = CPU_SETSIZE - 1; cpu >= 0; --cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
    std::string list;
    for (int cpu : cpus) list += (list.empty() ? "" : ", ") + std::to_string(cpu);
    const Config c = must_parse(std::string(minimal_toml) + "cores = [" + list + "]\n",
                                virtual_file("cores.toml"));
    CHECK(c.sharding.cores == cpus);
  }
}

TEST_CASE("the same mistake gets the same message in TOML and JSON", "[config]") {
  const ConfigError toml = must_fail(
      "[bot]\nexecutable = \"../bin/true-bot\"\n[sharding]\nshards = 2\nclusters = \"many\"\n",
      virtual_file("a.toml"));
  const ConfigError json = must_fail(
      "{\"bot\": {\"executable\": \"../bin/true-bot\"},\n"
      "\"sharding\": {\"shards\": 2,\n\"clusters\": \"many\"}}",
      virtual_file("a.json"));
  CHECK(toml.key == "sharding.clusters");
  CHECK(json.key == toml.key);
  CHECK(json.message == toml.message);
  CHECK(toml.line == 5);
  CHECK(toml.column == 12);
  CHECK(json.line == 3);
  CHECK(json.column == 13);
}

TEST_CASE("JSON reader details", "[config][json]") {
  SECTION("surrogate pairs, escapes and a BOM") {
    const Config c = must_parse(
        "\xEF\xBB\xBF{\"bot\": {\"executable\": \"../bin/true-bot\", "
        "\"args\": [\"\\uD83D\\uDE00\", \"a\\\"b\\\\c\\/\\t\\n\"]}, \"sharding\": {\"shards\": 1}}",
        virtual_file("esc.json"));
    CHECK(c.bot.args == std::vector<std::string>{"\xF0\x9F\x98\x80", "a\"b\\c/\t\n"});
  }
  SECTION("an integer beyond int64 is a float, so not an integer") {
    const ConfigError e = must_fail(
        "{\"bot\": {\"executable\": \"../bin/true-bot\"}, \"sharding\": {\"shards\": 9223372036854775808}}",
        virtual_file("big.json"));
    CHECK(e.message.find("got float") != std::string::npos);
  }
  SECTION("columns count characters, not bytes") {
    const ConfigError e = must_fail("{\"name\": \"é\" x}", virtual_file("col.json"));
    CHECK(e.line == 1);
    CHECK(e.column == 14);
  }
  SECTION("64 levels of nesting are allowed, 65 are not") {
    const auto nested = [](int depth) {
      return "{\"bot\": {\"executable\": \"../bin/true-bot\", \"args\": " + std::string(depth - 2, '[') +
             std::string(depth - 2, ']') + "}, \"sharding\": {\"shards\": 1}}";
    };
    // 64 levels: root object, bot object, 62 arrays. The schema then rejects the array type.
    CHECK(must_fail(nested(64), virtual_file("d.json")).message.find("nesting") == std::string::npos);
    CHECK(must_fail(nested(65), virtual_file("d.json")).message.find("nesting") != std::string::npos);
  }
  SECTION("a string holding NUL is refused before it reaches argv") {
    const ConfigError e = must_fail(
        "{\"bot\": {\"executable\": \"../bin/true-bot\", \"args\": [\"a\\u0000b\"]}, "
        "\"sharding\": {\"shards\": 1}}",
        virtual_file("nul.json"));
    CHECK(e.key == "bot.args[0]");
  }
}

TEST_CASE("paths in messages are shown whole, however long", "[config]") {
  const std::string exe = "/opt/" + std::string(120, 'x') + "/bot";
  const ConfigError e = must_fail("[bot]\nexecutable = \"" + exe + "\"\n[sharding]\nshards = 1\n",
                                  virtual_file("long.toml"));
  CHECK(e.key == "bot.executable");
  CHECK(e.message.find("\"" + exe + "\" does not exist") != std::string::npos);
}

TEST_CASE("errors are single lines in the file:line:col: key: message format", "[config]") {
  CHECK(ConfigError{"a.toml", 3, 7, "sharding.shards", "bad"}.to_string() ==
        "a.toml:3:7: sharding.shards: bad");
  CHECK(ConfigError{"a.toml", 3, 7, "", "bad"}.to_string() == "a.toml:3:7: bad");
  CHECK(ConfigError{"a.yaml", 0, 0, "", "bad"}.to_string() == "a.yaml: bad");
  CHECK(ConfigError{"a.toml", 1, 1, "k", "two\nlines"}.to_string() == "a.toml:1:1: k: two lines");
  const ConfigError e = must_fail("\"a\\nb\" = 1\n", virtual_file("nl.toml"));
  CHECK(e.to_string().find('\n') == std::string::npos);
}

TEST_CASE("unreadable files and garbage never throw", "[config]") {
  const ConfigError missing = std::get<ConfigError>(load_config(fixtures / "nope.toml"));
  CHECK(missing.line == 0);
  CHECK(missing.message.find("No such file or directory") != std::string::npos);
  const fs::path dir = fs::temp_directory_path() / ("megane-config-test-" + std::to_string(::getpid()) + ".toml");
  fs::create_directory(dir);
  const ConfigError directory = std::get<ConfigError>(load_config(dir));
  fs::remove(dir);
  CHECK(directory.line == 0);
  CHECK(directory.message.find("Is a directory") != std::string::npos);
  for (std::string_view junk : {"", "\x01\x02", "[[[", "{\"a\":", "a = \"\\u", "\xff\xfe{}", "]]"}) {
    CHECK(std::holds_alternative<ConfigError>(parse_config(junk, "j.toml")));
    CHECK(std::holds_alternative<ConfigError>(parse_config(junk, "j.json")));
  }
}

TEST_CASE("every malformed fixture fails at the place the manifest names", "[config][fixtures]") {
  const fs::path dir = fixtures / "bad_configs";
  std::ifstream manifest(dir / "expected.tsv");
  REQUIRE(manifest);
  std::set<std::string> listed;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string file, position, needle;
    std::getline(fields, file, '\t');
    std::getline(fields, position, '\t');
    std::getline(fields, needle);
    INFO(file);
    REQUIRE(!needle.empty());
    listed.insert(file);
    const fs::path path = dir / file;
    const LoadResult result = load_config(path);
    REQUIRE(std::holds_alternative<ConfigError>(result));
    const ConfigError& e = std::get<ConfigError>(result);
    const std::string text = e.to_string();
    INFO(text);
    CHECK(std::to_string(e.line) + ":" + std::to_string(e.column) == position);
    CHECK(e.message.find(needle) != std::string::npos);
    CHECK(text.find('\n') == std::string::npos);
    const std::string prefix = e.line == 0 ? path.string() + ": " : path.string() + ":" + position + ": ";
    CHECK(text.rfind(prefix, 0) == 0);
  }
  CHECK(listed.size() >= 24);
  // Every fixture is in the manifest, so none is silently left untested.
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name != "expected.tsv") CHECK(listed.count(name) == 1);
  }
}

TEST_CASE("[cache]: defaults, member policies, cache_all_members needs members and the intent", "[config][cache]") {
  const std::string base(minimal_toml);
  CHECK_FALSE(must_parse(base, virtual_file("a.toml")).cache);
  const Config c = must_parse(base + "[cache]\nmembers = \"none\"\nroles = false\n", virtual_file("a.toml"));
  REQUIRE(c.cache);
  CHECK(c.cache->enabled);
  CHECK(c.cache->channels);
  CHECK_FALSE(c.cache->roles);
  CHECK(c.cache->members == MemberCachePolicy::none);
  CHECK_FALSE(c.cache->cache_all_members);

  const Config all = must_parse(base + "[gateway]\nintents = 515\n[cache]\ncache_all_members = true\n", virtual_file("a.toml"));
  CHECK(all.cache->cache_all_members);
  const ConfigError no_intent =
      must_fail(base + "[gateway]\nintents = 513\n[cache]\ncache_all_members = true\n", virtual_file("a.toml"));
  CHECK(no_intent.key == "cache.cache_all_members");
  CHECK(no_intent.line == 8);
  CHECK(no_intent.column == 21);
  CHECK(no_intent.message == "needs the GUILD_MEMBERS intent (2) in gateway.intents (now 513)");
  const ConfigError json = must_fail(
      "{\"bot\": {\"executable\": \"../bin/true-bot\"}, \"sharding\": {\"shards\": 2},\n"
      "\"cache\": {\"members\": \"al\"}}",
      virtual_file("a.json"));
  CHECK(json.key == "cache.members");
  CHECK(json.message.rfind("expected one of \"all\", \"own\", \"none\", got string \"al\"", 0) == 0);
}

TEST_CASE("[cache] snapshots: on by default next to the store, own directory, size bound", "[config][cache]") {
  const std::string base(minimal_toml);
  const Config d = must_parse(base + "[store]\npath = \"/srv/state/bot.store\"\n", virtual_file("a.toml"));
  CHECK(d.cache_snapshots.enabled);
  CHECK(d.cache_snapshots.dir == fs::path("/srv/state") / (d.name + ".cache"));
  CHECK(d.cache_snapshots.max_bytes == std::uint64_t{1} << 30);
  CHECK_FALSE(d.cache);

  // Only snapshot keys: the bot's own CacheOptions still apply.
  const Config only = must_parse(base + "[cache]\nsnapshot_dir = \"snaps\"\nsnapshot_max_bytes = 2097152\n", virtual_file("a.toml"));
  CHECK_FALSE(only.cache);
  CHECK(only.cache_snapshots.dir == virtual_file("a.toml").parent_path() / "snaps");
  CHECK(only.cache_snapshots.max_bytes == 2097152);
  const Config both = must_parse(base + "[cache]\nsnapshots = false\nmembers = \"own\"\n", virtual_file("a.toml"));
  REQUIRE(both.cache);
  CHECK(both.cache->members == MemberCachePolicy::own);
  CHECK_FALSE(both.cache_snapshots.enabled);

  const ConfigError small = must_fail(base + "[cache]\nsnapshot_max_bytes = 1000\n", virtual_file("a.toml"));
  CHECK(small.key == "cache.snapshot_max_bytes");
  const ConfigError typo = must_fail(base + "[cache]\nsnapshot = false\n", virtual_file("a.toml"));
  CHECK(typo.message.find("snapshots") != std::string::npos);
  const ConfigError type = must_fail(base + "[cache]\nsnapshots = \"yes\"\n", virtual_file("a.toml"));
  CHECK(type.key == "cache.snapshots");
}
