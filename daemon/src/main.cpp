// meganed: the supervisor of one bot. `meganed --config FILE` (see docs/meganed.md).
#include <sysexits.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include "config.hpp"
#include "daemon.hpp"
#include "gateway/token.hpp"
#include "log_level.hpp"
#include "systemd_notify.hpp"
#include "version.hpp"

namespace {

void setup_logging(const std::string& bot) {
  std::shared_ptr<spdlog::logger> logger;
  if (megane::daemon::systemd::under_journald()) {
    // Straight to the journal: real priorities (journalctl -p warning works), no timestamps
    // of our own, the bot's name as a field.
    logger = std::make_shared<spdlog::logger>(
        "meganed", std::make_shared<spdlog::sinks::systemd_sink_st>("meganed-" + bot));
  } else {
    logger = std::make_shared<spdlog::logger>("meganed", std::make_shared<spdlog::sinks::stderr_color_sink_st>());
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %^%l%$ [meganed " + bot + "] %v");
  }
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"meganed: supervises a Discord bot's clusters, services and store"};
  std::string config_path;
  bool check_only = false;
  bool show_version = false;
  app.add_option("-c,--config", config_path, "The bot's config file (.toml or .json)");
  app.add_flag("--check", check_only, "Validate the config, print the plan and exit");
  app.add_flag("--version", show_version, "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : EX_USAGE;
  }
  if (show_version) {
    std::cout << "meganed " << megane::daemon::megane_version << "\n";
    return 0;
  }
  if (config_path.empty()) {
    std::cerr << "meganed: --config FILE is required\n";
    return EX_USAGE;
  }

  auto loaded = megane::daemon::load_config(config_path);
  if (auto* err = std::get_if<megane::daemon::ConfigError>(&loaded)) {
    std::cerr << err->to_string() << "\n";
    return EX_CONFIG;
  }
  auto& config = std::get<megane::daemon::Config>(loaded);
  if (check_only) {
    std::cout << config.source.string() << ": ok\n";
    return 0;
  }
  // The token is read before logging starts and before anything is spawned; its variable is
  // unset here so no child inherits it.
  std::optional<megane::daemon::BotToken> token;
  if (config.gateway) {
    auto read = megane::daemon::read_token(*config.gateway, config_path);
    if (auto* error = std::get_if<std::string>(&read)) {
      std::cerr << *error << "\n";
      return EX_CONFIG;
    }
    token.emplace(std::move(std::get<megane::daemon::BotToken>(read)));
  }
  setup_logging(config.name);
  spdlog::set_level(megane::daemon::to_spdlog(config.log_level));

  try {
    boost::asio::io_context io;
    megane::daemon::Daemon daemon(io, std::move(config), std::move(token));
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
