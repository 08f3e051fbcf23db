#include "meganectl/status_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace megane::ctl {
namespace {

constexpr std::size_t column_count = 7;
using Row = std::array<std::string, column_count>;

// Aligned columns, two spaces apart; the last column is not padded (no trailing blanks).
std::string render(const std::vector<Row>& rows) {
  std::array<std::size_t, column_count> width{};
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < column_count; ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < column_count; ++i) {
      out += row[i];
      if (i + 1 < column_count) out.append(width[i] - row[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

std::string seconds_short(double s) { return fmt::format("{:.1f}s", s); }

}  // namespace

std::string format_uptime(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const auto total = static_cast<std::uint64_t>(seconds);
  const std::uint64_t days = total / 86'400;
  const std::uint64_t hours = total / 3'600 % 24;
  const std::uint64_t minutes = total / 60 % 60;
  const std::uint64_t secs = total % 60;
  if (total < 60) return fmt::format("{}s", secs);
  if (total < 3'600) return fmt::format("{}m{:02}s", minutes, secs);
  if (total < 86'400) return fmt::format("{}h{:02}m", hours, minutes);
  return fmt::format("{}d{:02}h", days, hours);
}

std::string format_id_list(std::vector<std::int64_t> ids, std::size_t min_run) {
  if (ids.empty()) return "-";
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out;
  auto add = [&out](std::string item) {
    if (!out.empty()) out += ',';
    out += item;
  };
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    const std::size_t run = j - i + 1;
    if (run >= std::max<std::size_t>(min_run, 2)) {
      add(fmt::format("{}-{}", ids[i], ids[j]));
    } else {
      for (std::size_t k = i; k <= j; ++k) add(std::to_string(ids[k]));
    }
    i = j + 1;
  }
  return out;
}

std::string format_summary(const Status& status) {
  const auto ready = std::count_if(status.clusters.begin(), status.clusters.end(),
                                   [](const ClusterStatus& c) { return c.state == "ready"; });
  std::string out = fmt::format("{}: {}/{} clusters ready, {} shards",
                                status.bot.empty() ? "(unnamed bot)" : status.bot, ready,
                                status.clusters.size(), status.shards_total);
  if (!status.daemon.version.empty() || status.daemon.pid != 0) {
    out += fmt::format(" (meganed {}, pid {}, up {})",
                       status.daemon.version.empty() ? "?" : status.daemon.version,
                       status.daemon.pid, format_uptime(status.daemon.uptime_s));
  }
  return out;
}

std::string format_status(const Status& status) {
  std::vector<Row> rows;
  rows.push_back({"CLUSTER", "PID", "STATE", "CORES", "SHARDS", "RESTARTS", "UPTIME"});
  std::vector<const ClusterStatus*> sorted;
  for (const ClusterStatus& c : status.clusters) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(),
            [](const ClusterStatus* a, const ClusterStatus* b) { return a->id < b->id; });

  std::string notes;
  for (const ClusterStatus* c : sorted) {
    const bool running = c->pid > 0;
    // Cores stay a list ("0,1") unless the run is long; shards are always a range ("0-3").
    rows.push_back({std::to_string(c->id), running ? std::to_string(c->pid) : "-", c->state,
                    format_id_list(c->cores, 3), format_id_list(c->shards, 2),
                    std::to_string(c->restarts), running ? format_uptime(c->uptime_s) : "-"});
    std::string note;
    if (c->last_exit) note = "last exit: " + *c->last_exit;
    if (c->next_start_in_s) {
      note += (note.empty() ? "" : "; ");
      note += "next start in " + seconds_short(*c->next_start_in_s);
    }
    if (!note.empty()) notes += fmt::format("cluster {}: {}\n", c->id, note);
  }

  std::string out = format_summary(status) + "\n";
  if (sorted.empty()) return out + "no clusters\n";
  out += render(rows);
  if (!notes.empty()) out += "\n" + notes;
  return out;
}

}  // namespace megane::ctl
