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
#include <megane/proto/command_messages.hpp>

#include "config_gateway.hpp"
#include "config_notifications.hpp"
#include "config_cache.hpp"
#include "config_stats.hpp"
#include "duration.hpp"

namespace megane::daemon {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 13> top_keys{"name",  "bot",     "services", "sharding", "supervision", "ipc",
                                                    "store", "gateway", "stats",    "metrics",  "notifications", "cache", "log"};
constexpr std::array<std::string_view, 5> store_keys{"persistence", "path", "fsync", "rewrite_min_bytes",
                                                     "rewrite_growth_percent"};
constexpr std::array<std::string_view, 3> fsync_modes{"always", "everysec", "no"};
constexpr std::array<std::string_view, 6> service_keys{"name", "executable", "args", "env",
                                                       "working_directory", "ready_timeout"};
constexpr std::array<std::string_view, 4> bot_keys{"executable", "args", "env",
                                                   "working_directory"};
constexpr std::array<std::string_view, 4> sharding_keys{"shards", "clusters", "cores", "guilds_per_shard"};
constexpr std::array<std::string_view, 12> supervision_keys{
    "ready_timeout",  "stop_timeout",  "heartbeat_interval", "heartbeat_timeout",
    "backoff_initial", "backoff_max",  "min_spawn_gap",      "stable_after",
    "crash_window",   "crash_limit",   "quarantine_for",     "fatal_exit_code"};
constexpr std::array<std::string_view, 8> ipc_keys{
    "socket", "allowed_uids", "max_frame_bytes", "handshake_timeout", "max_connections_per_uid",
    "max_output_bytes", "request_timeout", "busy_poll_us"};
// A spin longer than a millisecond saves nothing a sleep would cost and burns a core.
constexpr std::int64_t max_busy_poll_us = 1'000;
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
    read_services(root);
    read_sharding(root);
    read_supervision(root);
    read_ipc(root);
    read_store(root);
    read_gateway_section(*this, root, config_);
    check_auto_shards_need_gateway(*this, root, config_);
    read_stats_section(*this, root, config_);
    read_metrics_section(*this, root, config_);
    read_notifications_section(*this, root, config_);
    read_cache_section(*this, root, config_);
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
    read_program(*bot, "bot", config_.bot);
  }

  // executable, args, env, working_directory: the same for the bot and every service.
  void read_program(const Node& table, const std::string& prefix, ProgramConfig& out) {
    if (const Node* v = get(table, "executable")) {
      if (auto path = executable_path(*v, prefix + ".executable")) out.executable = std::move(*path);
    } else {
      missing(table.pos, prefix, "missing required key \"executable\"");
    }
    if (const Node* v = get(table, "args")) {
      if (const auto items = array(*v, prefix + ".args")) {
        for (std::size_t i = 0; i < items->size(); ++i) {
          if (auto arg = string((*items)[i], fmt::format("{}.args[{}]", prefix, i))) {
            out.args.push_back(std::move(*arg));
          }
        }
      }
    }
    if (const Node* v = get(table, "env")) read_env(*v, prefix + ".env", out.env);
    out.working_directory = directory();
    if (const Node* v = get(table, "working_directory")) {
      if (auto path = directory_path(*v, prefix + ".working_directory")) {
        out.working_directory = std::move(*path);
      }
    }
  }

  void read_services(const Node& root) {
    const Node* list = get(root, "services");
    if (!list) return;
    const auto items = array(*list, "services");
    if (!items) return;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Node& t = (*items)[i];
      const std::string prefix = fmt::format("services[{}]", i);
      if (t.kind != NodeKind::table) {
        type_error(t, prefix, "a table ([[services]] in TOML, an object in JSON)");
        continue;
      }
      check_keys(t, prefix, service_keys);
      ServiceConfig svc;
      if (const Node* v = get(t, "name")) {
        if (auto name = string(*v, prefix + ".name")) {
          const bool taken = std::any_of(config_.services.begin(), config_.services.end(),
                                         [&](const ServiceConfig& s) { return s.name == *name; });
          if (!valid_bot_name(*name)) {
            error(v->pos, prefix + ".name",
                  "expected 1 to 64 characters from A-Z a-z 0-9 _ . -, got " + describe(*v));
          } else if (taken) {
            error(v->pos, prefix + ".name",
                  fmt::format("a service named {} is already defined", quote(*name)));
          } else {
            svc.name = std::move(*name);
          }
        }
      } else {
        missing(t.pos, prefix, "missing required key \"name\"");
      }
      read_program(t, prefix, svc);
      if (const Node* v = get(t, "ready_timeout")) {
        if (auto d = duration(*v, prefix + ".ready_timeout", false)) svc.ready_timeout = *d;
      }
      config_.services.push_back(std::move(svc));
    }
  }

  void read_env(const Node& env, const std::string& prefix,
                std::map<std::string, std::string>& out) {
    if (env.kind != NodeKind::table) {
      type_error(env, prefix, "a table of NAME = \"value\" strings");
      return;
    }
    for (const Member& m : env.members) {
      const std::string key = join_key(prefix, m.key);
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
        out[m.key] = std::move(*value);
      }
    }
  }

  void read_sharding(const Node& root) {
    const Node* sharding = section(root, "sharding", "with at least shards = N");
    if (!sharding) return;
    check_keys(*sharding, "sharding", sharding_keys);
    ShardingConfig& out = config_.sharding;
    // With "auto" the count is known only at start; make_plan then caps clusters at it.
    const std::optional<std::int64_t> shards = read_shard_count(*this, *sharding, out);
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
    if (const Node* v = table ? get(*table, "max_connections_per_uid") : nullptr) {
      if (auto n = integer(*v, "ipc.max_connections_per_uid", 1, 1'000'000)) {
        out.max_connections_per_uid = static_cast<std::uint32_t>(*n);
      }
    }
    if (const Node* v = table ? get(*table, "max_output_bytes") : nullptr) {
      if (auto n = integer(*v, "ipc.max_output_bytes", 65536, 1LL << 36)) {
        out.max_output_bytes = static_cast<std::uint64_t>(*n);
      }
    }
    if (const Node* v = table ? get(*table, "request_timeout") : nullptr) {
      if (auto d = duration(*v, "ipc.request_timeout", false)) {
        if (d->count() > static_cast<std::int64_t>(proto::max_default_timeout_ms)) {
          error(v->pos, "ipc.request_timeout",
                fmt::format("expected at most 10m (give longer commands their own timeout), got {}ms", d->count()));
        } else {
          out.request_timeout = *d;
        }
      }
    }
    if (const Node* v = table ? get(*table, "busy_poll_us") : nullptr) {
      if (auto n = integer(*v, "ipc.busy_poll_us", 0, max_busy_poll_us)) {
        out.busy_poll_us = static_cast<std::uint32_t>(*n);
      }
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

  void read_store(const Node& root) {
    const Node* table = section(root, "store", "");
    StoreConfig& out = config_.store;
    if (table) check_keys(*table, "store", store_keys);
    if (const Node* v = table ? get(*table, "persistence") : nullptr) {
      if (v->kind == NodeKind::boolean) out.persistence = v->boolean;
      else type_error(*v, "store.persistence", "true or false");
    }
    if (const Node* v = table ? get(*table, "path") : nullptr) {
      if (auto path = resolved_path(*v, "store.path")) {
        if (path->filename().empty()) error(v->pos, "store.path", "must name a file, not a directory");
        else out.path = std::move(*path);
      }
    } else if (!config_.name.empty()) {
      out.path = default_store_path(config_.name);
    }
    if (const Node* v = table ? get(*table, "fsync") : nullptr) {
      const auto found = v->kind == NodeKind::string ? std::find(fsync_modes.begin(), fsync_modes.end(), v->text)
                                                     : fsync_modes.end();
      if (found == fsync_modes.end()) {
        error(v->pos, "store.fsync", "expected one of \"always\", \"everysec\", \"no\", got " + describe(*v));
      } else {
        out.fsync = static_cast<FsyncMode>(found - fsync_modes.begin());
      }
    }
    if (const Node* v = table ? get(*table, "rewrite_min_bytes") : nullptr) {
      if (auto n = integer(*v, "store.rewrite_min_bytes", 4096, 1LL << 40)) out.rewrite_min_bytes = static_cast<std::uint64_t>(*n);
    }
    if (const Node* v = table ? get(*table, "rewrite_growth_percent") : nullptr) {
      if (auto n = integer(*v, "store.rewrite_growth_percent", 10, 10000)) out.rewrite_growth_percent = static_cast<std::uint32_t>(*n);
    }
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
