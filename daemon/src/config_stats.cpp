#include "config_stats.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace megane::daemon {
namespace {

constexpr std::array<std::string_view, 1> stats_keys{"interval"};
constexpr std::array<std::string_view, 2> metrics_keys{"listen", "unhealthy_after"};

// "127.0.0.1:9464" or "[::1]:9464": a literal address (no names: nothing to resolve at start)
// and a port from 1 to 65535.
bool parse_listen(std::string_view text, MetricsConfig& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) return false;
  const std::string h(host);
  unsigned char buffer[16];
  const bool v4 = !bracketed && ::inet_pton(AF_INET, h.c_str(), buffer) == 1;
  const bool v6 = bracketed && ::inet_pton(AF_INET6, h.c_str(), buffer) == 1;
  if (!v4 && !v6) return false;
  out.host = h;
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

void read_stats_section(TreeChecker& check, const Node& root, Config& config) {
  const Node* table = check.section(root, "stats", "");
  if (!table) return;
  check.check_keys(*table, "stats", stats_keys);
  if (const Node* v = TreeChecker::get(*table, "interval")) {
    auto d = check.duration(*v, "stats.interval", false);
    if (!d) return;
    if (*d < min_stats_interval) {
      check.error(v->pos, "stats.interval",
                  fmt::format("expected at least {}ms, got {}ms", min_stats_interval.count(), d->count()));
      return;
    }
    config.stats.interval = *d;
  }
}

void read_metrics_section(TreeChecker& check, const Node& root, Config& config) {
  const Node* table = check.section(root, "metrics", "");
  if (!table) return;
  check.check_keys(*table, "metrics", metrics_keys);
  MetricsConfig out;
  if (const Node* v = TreeChecker::get(*table, "listen")) {
    auto text = check.string(*v, "metrics.listen");
    if (!text) return;
    if (!parse_listen(*text, out)) {
      check.error(v->pos, "metrics.listen",
                  fmt::format("expected an IP address and a port such as \"127.0.0.1:9464\" or \"[::1]:9464\", got {}",
                              describe(*v)));
      return;
    }
  } else {
    check.missing(table->pos, "metrics", "missing required key \"listen\" (such as \"127.0.0.1:9464\")");
    return;
  }
  if (const Node* v = TreeChecker::get(*table, "unhealthy_after")) {
    auto d = check.duration(*v, "metrics.unhealthy_after", false);
    if (!d) return;
    out.unhealthy_after = *d;
  }
  config.metrics = std::move(out);
}

}  // namespace megane::daemon
