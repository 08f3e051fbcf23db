#include "config_schema.hpp"

#include "cpu_set.hpp"

#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "duration.hpp"

namespace megane::daemon {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 6> top_keys{"name", "bot",  "sharding",
                                                   "supervision", "ipc", "log"};
constexpr std::array<std::string_view, 4> bot_keys{"executable", "args", "env",
                                                   "working_directory"};
constexpr std::array<std::string_view, 3> sharding_keys{"shards", "clusters", "cores"};
constexpr std::array<std::string_view, 12> supervision_keys{
    "ready_timeout",  "stop_timeout",  "heartbeat_interval", "heartbeat_timeout",
    "backoff_initial", "backoff_max",  "min_spawn_gap",      "stable_after",
    "crash_window",   "crash_limit",   "quarantine_for",     "fatal_exit_code"};
constexpr std::array<std::string_view, 4> ipc_keys{"socket", "allowed_uids", "max_frame_bytes",
                                                   "handshake_timeout"};
constexpr std::array<std::string_view, 1> log_keys{"level"};
constexpr std::array<std::string_view, 5> log_levels{"trace", "debug", "info", "warn", "error"};

struct DurationKey {
  std::string_view name;
  Millis SupervisionConfig::*field;
  bool zero_allowed;
};

// quarantine_for = 0 means "until an operator restarts it"; every other zero is a mistake.
constexpr std::array<DurationKey, 10> supervision_durations{{
    {"ready_timeout", &SupervisionConfig::ready_timeout, false},
    {"stop_timeout", &SupervisionConfig::stop_timeout, false},
    {"heartbeat_interval", &SupervisionConfig::heartbeat_interval, false},
    {"heartbeat_timeout", &SupervisionConfig::heartbeat_timeout, false},
    {"backoff_initial", &SupervisionConfig::backoff_initial, false},
    {"backoff_max", &SupervisionConfig::backoff_max, false},
    {"min_spawn_gap", &SupervisionConfig::min_spawn_gap, false},
    {"stable_after", &SupervisionConfig::stable_after, false},
    {"crash_window", &SupervisionConfig::crash_window, false},
    {"quarantine_for", &SupervisionConfig::quarantine_for, true},
}};

// The same limit bind() enforces, minus the terminating NUL.
constexpr std::size_t max_socket_path = sizeof(sockaddr_un::sun_path) - 1;

bool valid_bot_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
         });
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

class Schema : public TreeChecker {
 public:
  Schema(const fs::path& file, const fs::path& source)
      : TreeChecker(source.parent_path()), file_(file) {
    config_.source = source;
  }

  LoadResult run(const Node& root) {
    if (root.kind != NodeKind::table) {
      error(root.pos, "", "the top level must be a table (a JSON object), got " + describe(root));
      return first_config_error();
    }
    check_keys(root, "", top_keys);
    read_name(root);
    read_bot(root);
    read_sharding(root);
    read_supervision(root);
    read_ipc(root);
    read_log(root);
    if (has_errors()) return first_config_error();
    return std::move(config_);
  }

 private:
  void read_name(const Node& root) {
    if (const Node* v = get(root, "name")) {
      auto name = string(*v, "name");
      if (!name) return;
      if (!valid_bot_name(*name)) {
        error(v->pos, "name",
              "expected 1 to 64 characters from A-Z a-z 0-9 _ . -, got " + describe(*v));
        return;
      }
      config_.name = std::move(*name);
      return;
    }
    const std::string stem = config_.source.stem().string();
    if (!valid_bot_name(stem)) {
      error({}, "name",
            fmt::format("the bot name defaults to the file name {}, which is not 1 to 64 "
                        "characters from A-Z a-z 0-9 _ . -; set name = \"...\"",
                        quote(stem)));
      return;
    }
    config_.name = stem;
  }

  void read_bot(const Node& root) {
    const Node* bot = section(root, "bot", "with at least executable = \"...\"");
    if (!bot) return;
    check_keys(*bot, "bot", bot_keys);
    BotConfig& out = config_.bot;
    if (const Node* v = get(*bot, "executable")) {
      if (auto path = executable_path(*v, "bot.executable")) out.executable = std::move(*path);
    } else {
      missing(bot->pos, "bot", "missing required key \"executable\"");
    }
    if (const Node* v = get(*bot, "args")) {
      if (const auto items = array(*v, "bot.args")) {
        for (std::size_t i = 0; i < items->size(); ++i) {
          if (auto arg = string((*items)[i], fmt::format("bot.args[{}]", i))) {
            out.args.push_back(std::move(*arg));
          }
        }
      }
    }
    if (const Node* v = get(*bot, "env")) read_env(*v);
    out.working_directory = directory();
    if (const Node* v = get(*bot, "working_directory")) {
      if (auto path = directory_path(*v, "bot.working_directory")) {
        out.working_directory = std::move(*path);
      }
    }
  }

  void read_env(const Node& env) {
    if (env.kind != NodeKind::table) {
      type_error(env, "bot.env", "a table of NAME = \"value\" strings");
      return;
    }
    for (const Member& m : env.members) {
      const std::string key = join_key("bot.env", m.key);
      if (!valid_env_name(m.key)) {
        error(m.key_pos, key,
              fmt::format("{} is not a valid environment variable name "
                          "(letters, digits and _, not starting with a digit)",
                          quote(m.key)));
      } else if (m.key.starts_with("MEGANE_")) {
        error(m.key_pos, key, "names starting with MEGANE_ are reserved: meganed sets them itself");
      } else if (m.key == "NOTIFY_SOCKET") {
        error(m.key_pos, key,
              "NOTIFY_SOCKET is reserved: only meganed talks to systemd, children report "
              "readiness to meganed");
      } else if (auto value = string(m.value, key)) {
        config_.bot.env[m.key] = std::move(*value);
      }
    }
  }

  void read_sharding(const Node& root) {
    const Node* sharding = section(root, "sharding", "with at least shards = N");
    if (!sharding) return;
    check_keys(*sharding, "sharding", sharding_keys);
    ShardingConfig& out = config_.sharding;
    std::optional<std::int64_t> shards;
    if (const Node* v = get(*sharding, "shards")) {
      shards = integer(*v, "sharding.shards", 1, 65535);
      if (shards) out.shards = static_cast<std::uint32_t>(*shards);
    } else {
      missing(sharding->pos, "sharding", "missing required key \"shards\"");
    }
    if (const Node* v = get(*sharding, "clusters")) {
      const bool is_auto = v->kind == NodeKind::string && v->text == "auto";
      const bool is_count =
          v->kind == NodeKind::integer && v->integer >= 1 && v->integer <= 65535;
      if (is_count) {
        out.clusters = static_cast<std::uint32_t>(v->integer);
        if (shards && v->integer > *shards) {
          error(v->pos, "sharding.clusters",
                fmt::format("{} clusters for {} shards: every cluster needs at least one shard",
                            v->integer, *shards));
        }
      } else if (!is_auto) {
        const std::string got =
            v->kind == NodeKind::integer ? std::to_string(v->integer) : describe(*v);
        error(v->pos, "sharding.clusters", "expected a positive integer or \"auto\", got " + got);
      }
    }
    if (const Node* v = get(*sharding, "cores")) read_cores(*v);
  }

  void read_cores(const Node& v) {
    const auto items = array(v, "sharding.cores");
    if (!items) return;
    const std::vector<int> allowed = allowed_cpus();
    if (items->empty()) {
      error(v.pos, "sharding.cores",
            fmt::format("an empty list is not allowed; remove the key to use every CPU meganed "
                        "may run on ({})",
                        (allowed.empty() ? std::string("unknown") : format_cpu_list(allowed))));
      return;
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Node& item = (*items)[i];
      const std::string key = fmt::format("sharding.cores[{}]", i);
      const auto cpu = integer(item, key, 0, std::numeric_limits<int>::max(),
                               "a CPU number (an integer >= 0)");
      if (!cpu) continue;
      const int id = static_cast<int>(*cpu);
      const auto earlier = std::find(config_.sharding.cores.begin(), config_.sharding.cores.end(), id);
      if (earlier != config_.sharding.cores.end()) {
        error(item.pos, key,
              fmt::format("CPU {} is listed twice (also at sharding.cores[{}])", id,
                          earlier - config_.sharding.cores.begin()));
      } else if (!allowed.empty() && !std::binary_search(allowed.begin(), allowed.end(), id)) {
        const long configured = ::sysconf(_SC_NPROCESSORS_CONF);
        if (configured > 0 && id < configured) {
          error(item.pos, key,
                fmt::format("CPU {} is not in meganed's CPU affinity mask (allowed CPUs: {})", id,
                            (allowed.empty() ? std::string("unknown") : format_cpu_list(allowed))));
        } else {
          error(item.pos, key,
                fmt::format("CPU {} does not exist on this machine (CPUs {})", id,
                            (allowed.empty() ? std::string("unknown") : format_cpu_list(allowed))));
        }
      }
      // Kept even when invalid so a later duplicate still points at the first listing.
      config_.sharding.cores.push_back(id);
    }
  }

  void read_supervision(const Node& root) {
    const Node* table = section(root, "supervision", "");
    if (!table) return;
    check_keys(*table, "supervision", supervision_keys);
    SupervisionConfig& out = config_.supervision;
    for (const DurationKey& d : supervision_durations) {
      if (const Node* v = get(*table, d.name)) {
        const std::string key = join_key("supervision", d.name);
        if (auto value = duration(*v, key, d.zero_allowed)) out.*(d.field) = *value;
      }
    }
    if (const Node* v = get(*table, "crash_limit")) {
      if (auto n = integer(*v, "supervision.crash_limit", 1, 1000)) {
        out.crash_limit = static_cast<std::uint32_t>(*n);
      }
    }
    if (const Node* v = get(*table, "fatal_exit_code")) {
      if (auto code = integer(*v, "supervision.fatal_exit_code", 1, 255)) {
        if (*code == 127) {
          error(v->pos, "supervision.fatal_exit_code",
                "127 is what a child exits with when exec fails; choose another code");
        } else {
          out.fatal_exit_code = static_cast<int>(*code);
        }
      }
    }
    check_order(*table, "heartbeat_interval", out.heartbeat_interval, "heartbeat_timeout",
                out.heartbeat_timeout, false);
    check_order(*table, "backoff_initial", out.backoff_initial, "backoff_max", out.backoff_max,
                true);
  }

  // `upper` must exceed `lower` (or equal it when allowed). Blamed on whichever of the two
  // the file sets, preferring `upper`; skipped when either already failed on its own.
  void check_order(const Node& table, std::string_view lower_key, Millis lower,
                   std::string_view upper_key, Millis upper, bool equal_ok) {
    const Node* lower_node = get(table, lower_key);
    const Node* upper_node = get(table, upper_key);
    const std::string lower_path = join_key("supervision", lower_key);
    const std::string upper_path = join_key("supervision", upper_key);
    if ((lower_node && failed_at(lower_node->pos)) || (upper_node && failed_at(upper_node->pos))) {
      return;
    }
    if (upper > lower || (equal_ok && upper == lower)) return;
    const Node* blamed = upper_node ? upper_node : lower_node;
    if (!blamed) return;  // both defaults: cannot happen, the defaults are ordered
    error(blamed->pos, upper_node ? upper_path : lower_path,
          fmt::format("{} ({}) must be {} {} ({})", upper_key, format_duration(upper),
                      equal_ok ? "at least" : "greater than", lower_key, format_duration(lower)));
  }

  void read_ipc(const Node& root) {
    const Node* table = section(root, "ipc", "");
    IpcConfig& out = config_.ipc;
    if (table) check_keys(*table, "ipc", ipc_keys);
    const Node* socket = table ? get(*table, "socket") : nullptr;
    if (socket) {
      if (auto path = resolved_path(*socket, "ipc.socket")) {
        if (path->filename().empty()) {
          error(socket->pos, "ipc.socket", "must name a socket file, not a directory");
        } else if (check_socket_length(socket->pos, *path)) {
          out.socket = std::move(*path);
        }
      }
    } else if (!config_.name.empty()) {
      fs::path path = default_socket_path(config_.name);
      if (check_socket_length({}, path)) out.socket = std::move(path);
    }
    if (const Node* v = table ? get(*table, "allowed_uids") : nullptr) {
      if (const auto items = array(*v, "ipc.allowed_uids")) {
        for (std::size_t i = 0; i < items->size(); ++i) {
          // 4294967295 is (uid_t)-1, "no user" to the kernel: never a real peer.
          if (auto uid = integer((*items)[i], fmt::format("ipc.allowed_uids[{}]", i), 0,
                                 4294967294LL)) {
            out.allowed_uids.push_back(static_cast<std::uint32_t>(*uid));
          }
        }
      }
    }
    if (const Node* v = table ? get(*table, "max_frame_bytes") : nullptr) {
      if (auto n = integer(*v, "ipc.max_frame_bytes", 1024, 1LL << 30)) {
        out.max_frame_bytes = static_cast<std::uint32_t>(*n);
      }
    }
    if (const Node* v = table ? get(*table, "handshake_timeout") : nullptr) {
      if (auto d = duration(*v, "ipc.handshake_timeout", false)) out.handshake_timeout = *d;
    }
  }

  bool check_socket_length(Position at, const fs::path& path) {
    const std::size_t length = path.native().size();
    if (length <= max_socket_path) return true;
    error(at, "ipc.socket",
          fmt::format("{}socket path {} is {} bytes long; a Unix socket path can have at most {}",
                      at.line == 0 ? "the default " : "", quote(path.string()), length,
                      max_socket_path));
    return false;
  }

  void read_log(const Node& root) {
    const Node* table = section(root, "log", "");
    if (!table) return;
    check_keys(*table, "log", log_keys);
    const Node* v = get(*table, "level");
    if (!v) return;
    const auto found = v->kind == NodeKind::string
                           ? std::find(log_levels.begin(), log_levels.end(), v->text)
                           : log_levels.end();
    if (found == log_levels.end()) {
      std::string message =
          "expected one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", got " + describe(*v);
      if (v->kind == NodeKind::string) {
        if (auto close = suggest(v->text, log_levels)) message += fmt::format(" (did you mean \"{}\"?)", *close);
      }
      error(v->pos, "log.level", message);
      return;
    }
    config_.log_level = static_cast<LogLevel>(found - log_levels.begin());
  }

  ConfigError first_config_error() const {
    TreeError e = first_error();
    return ConfigError{file_, e.pos.line, e.pos.column, std::move(e.key), std::move(e.message)};
  }

  fs::path file_;
  Config config_;
};

}  // namespace

LoadResult validate_config(const Node& root, const fs::path& file, const fs::path& source) {
  return Schema(file, source).run(root);
}

}  // namespace megane::daemon
