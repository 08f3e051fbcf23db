// meganectl: the operator's command line for a running meganed. See docs/meganectl.md.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config.hpp"
#include "meganectl/command_output.hpp"
#include "meganectl/commands.hpp"
#include "meganectl/event_output.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/store_command.hpp"
#include "meganectl/timeout.hpp"

namespace {

using namespace megane::ctl;

int usage_error(const std::string& message) {
  fmt::print(stderr, "meganectl: {}\nRun with --help for more information.\n", message);
  return exit_code::usage;
}

// --socket, else the config's [ipc] socket, else $MEGANE_SOCKET. An int is an exit code.
std::variant<std::string, int> resolve_socket(const std::string& socket, const std::string& config) {
  if (!socket.empty()) return socket;
  if (!config.empty()) {
    auto loaded = megane::daemon::load_config(config);
    if (const auto* error = std::get_if<megane::daemon::ConfigError>(&loaded)) {
      fmt::print(stderr, "{}\n", error->to_string());
      return exit_code::config;
    }
    return std::get<megane::daemon::Config>(loaded).ipc.socket.string();
  }
  if (const char* env = std::getenv("MEGANE_SOCKET"); env != nullptr && *env != '\0') return std::string(env);
  return usage_error("no daemon given: use --socket PATH, --config FILE or set MEGANE_SOCKET");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Control a running meganed."};
  app.set_version_flag("--version", "meganectl " MEGANECTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand (inherited by them)

  std::string socket;
  std::string config;
  std::string timeout_text;
  auto* socket_opt = app.add_option("--socket", socket, "meganed's control socket");
  auto* config_opt = app.add_option("--config", config, "read the socket path from this meganed config");
  socket_opt->excludes(config_opt);
  auto* timeout_opt = app.add_option("--timeout", timeout_text,
                 "how long to wait: 500ms, 30s, 2m, 1m30s or plain seconds (default 10s; restart "
                 "120s, per cluster with --all; command: the config's ipc.request_timeout)");

  auto* status = app.add_subcommand("status", "Show the bot's clusters");
  bool json = false;
  bool status_shards = false;
  auto* json_opt = status->add_flag("--json", json, "print the daemon's JSON as-is, on one line");
  status->add_flag("--shards", status_shards, "one row per gateway shard: state, latency, guilds, detail")
      ->excludes(json_opt);

  auto* restart = app.add_subcommand("restart", "Restart one cluster, all of them one at a time, or a service");
  std::int64_t cluster_id = -1;
  bool all = false;
  bool no_wait = false;
  std::string restart_service;
  auto* id_opt = restart->add_option("ID", cluster_id, "cluster id")->check(CLI::NonNegativeNumber);
  bool rolling = false;
  bool restart_json = false;
  auto* all_opt = restart->add_flag("--all", all, "rolling restart: every cluster in id order, each back to ready first");
  auto* rolling_opt = restart->add_flag("--rolling", rolling, "the same as --all");
  auto* restart_json_opt = restart->add_flag("--json", restart_json, "with --all: one JSON line per progress event, then the result");
  auto* no_wait_opt = restart->add_flag("--no-wait", no_wait, "return once the restart began, not when ready");
  rolling_opt->excludes(id_opt)->excludes(no_wait_opt);
  auto* restart_service_opt = restart->add_option("--service", restart_service, "restart this service");
  id_opt->excludes(all_opt);
  no_wait_opt->excludes(all_opt);
  restart_service_opt->excludes(id_opt)->excludes(all_opt)->excludes(rolling_opt);

  auto* stats = app.add_subcommand("stats", "Show the last statistics: CPU, memory, shards, events, custom stats");
  bool stats_json = false;
  stats->add_flag("--json", stats_json, "print the daemon's JSON as-is, on one line");

  auto* shutdown = app.add_subcommand("shutdown", "Stop every cluster and the daemon");

  auto* reload = app.add_subcommand("reload", "Re-read the config: apply what can change live, list what needs a restart");
  bool reload_json = false;
  reload->add_flag("--json", reload_json, "print the daemon's JSON as-is, on one line");

  auto* command = app.add_subcommand("command", "Send JSON data to a service or to clusters, print the answers");
  std::string command_cluster;
  std::uint64_t command_guild = 0;
  std::string command_service;
  CommandArgs command_args;
  bool no_reply = false;
  auto* cluster_opt = command->add_option("--cluster", command_cluster, "all, or a cluster id");
  auto* guild_opt = command->add_option("--guild", command_guild, "the cluster that owns this guild id");
  auto* service_opt = command->add_option("--service", command_service, "the service of this name");
  cluster_opt->excludes(guild_opt)->excludes(service_opt);
  guild_opt->excludes(service_opt);
  command->add_flag("--no-reply", no_reply, "fire and forget: wait for nothing, print nothing");
  command->add_flag("--json", command_args.json, "print the answers as JSON");
  command->add_option("DATA", command_args.data, "the data: valid JSON, e.g. '{\"op\":\"PING\"}'")->required();

  auto* fetch = app.add_subcommand("fetch", "Fetch a guild, channel or user from the clusters' caches, print its JSON");
  std::string fetch_kind;
  FetchArgs fetch_args;
  fetch->add_option("KIND", fetch_kind, "guild, channel or user")
      ->required()
      ->check(CLI::IsMember({"guild", "channel", "user"}));
  fetch->add_option("ID", fetch_args.id, "the snowflake")->required();
  auto* members_opt = fetch->add_flag("--members", fetch_args.members, "guild: include its members");
  fetch->add_flag("--json", fetch_args.json, "one JSON object: kind, id, status, cluster, data or error");

  StoreCli store_cli(app);  // meganectl store get|set|del|incr|keys

  auto* events = app.add_subcommand("events", "Print the daemon's events as they happen, until interrupted");
  bool events_json = false;
  std::vector<std::string> kinds;
  events->add_flag("--json", events_json, "one JSON object per line");
  events->add_option("--kind", kinds, "only these kinds (repeat, or separate with commas)")->delimiter(',');

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the error
    return code == 0 ? exit_code::ok : exit_code::usage;
  }
  all = all || rolling;
  if (restart->parsed() && restart_json_opt->count() > 0 && !all) {
    return usage_error("restart: --json goes with --all (or --rolling)");
  }
  if (restart->parsed() && !all && cluster_id < 0 && restart_service_opt->count() == 0) {
    return usage_error("restart: give a cluster ID, --all or --service NAME");
  }
  if (cluster_id > UINT32_MAX) return usage_error("restart: cluster ID out of range");
  if (command->parsed()) {
    if (cluster_opt->count() + guild_opt->count() + service_opt->count() != 1) {
      return usage_error("command: give one of --cluster all|ID, --guild ID, --service NAME");
    }
    command_args.receptive = !no_reply;
    if (service_opt->count() > 0) {
      command_args.service = command_service;
    } else if (guild_opt->count() > 0) {
      command_args.target_kind = megane::proto::CommandTarget::guild;
      command_args.target = command_guild;
    } else {
      const auto selector = parse_cluster_selector(command_cluster);
      if (!selector) return usage_error("command: --cluster takes 'all' or a cluster id");
      command_args.target_kind = selector->target_kind;
      command_args.target = selector->target;
    }
  }
  if (fetch->parsed()) {
    fetch_args.kind = fetch_kind == "guild"     ? megane::proto::FetchKind::guild
                      : fetch_kind == "channel" ? megane::proto::FetchKind::channel
                                                : megane::proto::FetchKind::user;
    if (members_opt->count() > 0 && fetch_args.kind != megane::proto::FetchKind::guild) {
      return usage_error("fetch: --members goes with guild only");
    }
  }
  std::uint32_t event_mask = megane::proto::all_events;
  if (!kinds.empty()) {
    event_mask = 0;
    for (const std::string& name : kinds) {
      const auto kind = parse_event_kind(name);
      if (!kind) return usage_error(fmt::format("events: unknown --kind '{}'; kinds: {}", name, event_kind_names()));
      event_mask |= megane::proto::event_bit(*kind);
    }
  }

  CommonOptions options;
  options.timeout = restart->parsed() ? std::chrono::seconds(120) : std::chrono::seconds(10);
  if (timeout_opt->count() > 0) {
    auto timeout = parse_timeout(timeout_text);
    if (const auto* error = std::get_if<std::string>(&timeout)) return usage_error(*error);
    options.timeout = std::get<std::chrono::milliseconds>(timeout);
    options.timeout_given = true;
  }
  auto resolved = resolve_socket(socket, config);
  if (const int* code = std::get_if<int>(&resolved)) return *code;
  options.socket = std::get<std::string>(std::move(resolved));

  if (status->parsed()) return status_command(options, json, status_shards);
  if (restart->parsed()) {
    if (all) return restart_all_command(options, restart_json);
    if (restart_service_opt->count() > 0) return restart_service_command(options, restart_service, !no_wait);
    return restart_command(options, static_cast<std::uint32_t>(cluster_id), !no_wait);
  }
  if (shutdown->parsed()) return shutdown_command(options);
  if (reload->parsed()) return reload_command(options, reload_json);
  if (stats->parsed()) return stats_command(options, stats_json);
  if (command->parsed()) return command_command(options, command_args);
  if (events->parsed()) return events_command(options, events_json, event_mask);
  if (fetch->parsed()) return fetch_command(options, fetch_args);
  if (store_cli.parsed()) return store_cli.run(options);
  return usage_error("no command");
}
