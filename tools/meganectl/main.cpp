// meganectl: the operator's command line for a running meganed. See docs/meganectl.md.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <variant>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config.hpp"
#include "meganectl/commands.hpp"
#include "meganectl/exit_codes.hpp"
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
                 "120s, per cluster with --all)");

  auto* status = app.add_subcommand("status", "Show the bot's clusters");
  bool json = false;
  status->add_flag("--json", json, "print the daemon's JSON as-is, on one line");

  auto* restart = app.add_subcommand("restart", "Restart one cluster, or all of them one at a time");
  std::int64_t cluster_id = -1;
  bool all = false;
  bool no_wait = false;
  auto* id_opt = restart->add_option("ID", cluster_id, "cluster id")->check(CLI::NonNegativeNumber);
  auto* all_opt = restart->add_flag("--all", all, "restart every cluster in id order, each back to ready first");
  auto* no_wait_opt = restart->add_flag("--no-wait", no_wait, "return once the restart began, not when ready");
  id_opt->excludes(all_opt);
  no_wait_opt->excludes(all_opt);

  auto* shutdown = app.add_subcommand("shutdown", "Stop every cluster and the daemon");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the error
    return code == 0 ? exit_code::ok : exit_code::usage;
  }
  if (restart->parsed() && !all && cluster_id < 0) return usage_error("restart: give a cluster ID or --all");
  if (cluster_id > UINT32_MAX) return usage_error("restart: cluster ID out of range");

  CommonOptions options;
  options.timeout = restart->parsed() ? std::chrono::seconds(120) : std::chrono::seconds(10);
  if (timeout_opt->count() > 0) {
    auto timeout = parse_timeout(timeout_text);
    if (const auto* error = std::get_if<std::string>(&timeout)) return usage_error(*error);
    options.timeout = std::get<std::chrono::milliseconds>(timeout);
  }
  auto resolved = resolve_socket(socket, config);
  if (const int* code = std::get_if<int>(&resolved)) return *code;
  options.socket = std::get<std::string>(std::move(resolved));

  if (status->parsed()) return status_command(options, json);
  if (restart->parsed()) {
    if (all) return restart_all_command(options);
    return restart_command(options, static_cast<std::uint32_t>(cluster_id), !no_wait);
  }
  if (shutdown->parsed()) return shutdown_command(options);
  return usage_error("no command");
}
