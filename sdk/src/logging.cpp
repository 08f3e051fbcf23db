#include <megane/sdk/logging.hpp>

#include <cstdlib>

#include <spdlog/cfg/env.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace megane {
namespace {

// "%*" -> the syslog priority prefix journald understands ("<3>" error ... "<7>" debug).
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const char* prefix = "<6>";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = "<7>"; break;
      case spdlog::level::info: prefix = "<6>"; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::critical: prefix = "<2>"; break;
      case spdlog::level::off:
      case spdlog::level::n_levels: break;
    }
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  // Single-threaded sink: a megane process runs one io_context on one thread.
  auto logger = std::make_shared<spdlog::logger>(
      name, std::make_shared<spdlog::sinks::stderr_color_sink_st>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*[%n] %v");
  } else {
    // Same shape as meganed's own lines, so a terminal shows one consistent log.
    formatter->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %^%l%$ [%n] %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->flush_on(spdlog::level::warn);

  spdlog::drop(name);
  spdlog::register_logger(logger);
  spdlog::cfg::load_env_levels();  // applies SPDLOG_LEVEL to registered loggers
  spdlog::set_default_logger(logger);
  return logger;
}

}  // namespace megane
