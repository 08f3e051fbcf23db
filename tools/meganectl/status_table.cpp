#include "meganectl/status_table.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace megane::ctl {
namespace {

using Row = std::vector<std::string>;

// Aligned columns, two spaces apart; the last column is not padded (no trailing blanks).
// Every row has the header's column count.
std::string render(const std::vector<Row>& rows) {
  std::vector<std::size_t> width(rows.empty() ? 0 : rows.front().size());
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < width.size(); ++i) {
      out += row[i];
      if (i + 1 < width.size()) out.append(width[i] - row[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

// The services table and its notes (last exits), in name order.
void add_services(const Status& status, std::string& table, std::string& notes) {
  std::vector<const ServiceStatus*> sorted;
  for (const ServiceStatus& s : status.services) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(),
            [](const ServiceStatus* a, const ServiceStatus* b) { return a->name < b->name; });
  std::vector<Row> rows;
  rows.push_back({"NAME", "PID", "STATE", "RESTARTS", "UPTIME"});
  for (const ServiceStatus* s : sorted) {
    const bool running = s->pid > 0;
    rows.push_back({s->name, running ? std::to_string(s->pid) : "-", s->state,
                    std::to_string(s->restarts), running ? format_uptime(s->uptime_s) : "-"});
    if (s->last_exit) notes += fmt::format("service {}: last exit: {}\n", s->name, *s->last_exit);
  }
  table = render(rows);
}

std::string seconds_short(double s) { return fmt::format("{:.1f}s", s); }

}  // namespace

std::string render_table(const std::vector<std::vector<std::string>>& rows) { return render(rows); }

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
  if (!status.services.empty()) {
    const auto services_ready =
        std::count_if(status.services.begin(), status.services.end(),
                      [](const ServiceStatus& s) { return s.state == "ready"; });
    out += fmt::format(", {}/{} services ready", services_ready, status.services.size());
  }
  if (!status.daemon.version.empty() || status.daemon.pid != 0) {
    out += fmt::format(" (meganed {}, pid {}, up {})",
                       status.daemon.version.empty() ? "?" : status.daemon.version,
                       status.daemon.pid, format_uptime(status.daemon.uptime_s));
  }
  return out;
}

std::string format_identify(const GatewayStatus& g) {
  const IdentifyBudget& b = g.identify;
  std::string out = fmt::format("identify: {}/{} left today (reserve {}, resets in {}), {} in flight, {} waiting, "
                                "max_concurrency {}\n",
                                b.remaining, b.total, b.reserve, format_uptime(b.resets_in_s), b.in_flight, b.waiting,
                                g.max_concurrency);
  if (b.blocked_reason) out += "identify blocked: " + *b.blocked_reason + "\n";
  return out;
}

std::string format_shards(const Status& status) {
  if (!status.gateway) return "this bot has no [gateway] section: no shard states\n";
  std::vector<Row> rows;
  rows.push_back({"SHARD", "CLUSTER", "STATE", "LATENCY", "GUILDS", "DETAIL"});
  std::vector<std::pair<std::uint32_t, Row>> sorted;
  for (const ClusterStatus& c : status.clusters) {
    for (const ShardRow& r : c.shard_states) {
      sorted.push_back({r.id, Row{std::to_string(r.id), std::to_string(c.id), r.state,
                                  r.latency_ms > 0 ? fmt::format("{}ms", r.latency_ms) : "-",
                                  r.state == "unknown" ? "-" : std::to_string(r.guilds),
                                  r.detail.empty() ? "-" : r.detail}});
    }
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [id, row] : sorted) rows.push_back(std::move(row));
  return format_summary(status) + "\n" + render(rows) + "\n" + format_identify(*status.gateway);
}

std::string format_status(const Status& status) {
  std::vector<Row> rows;
  const bool gateway = status.gateway.has_value();
  if (gateway) rows.push_back({"CLUSTER", "PID", "STATE", "CORES", "SHARDS", "READY", "RESTARTS", "UPTIME"});
  else rows.push_back({"CLUSTER", "PID", "STATE", "CORES", "SHARDS", "RESTARTS", "UPTIME"});
  std::vector<const ClusterStatus*> sorted;
  for (const ClusterStatus& c : status.clusters) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(),
            [](const ClusterStatus* a, const ClusterStatus* b) { return a->id < b->id; });

  std::string notes;
  for (const ClusterStatus* c : sorted) {
    const bool running = c->pid > 0;
    // Cores stay a list ("0,1") unless the run is long; shards are always a range ("0-3").
    Row row{std::to_string(c->id), running ? std::to_string(c->pid) : "-", c->state,
            format_id_list(c->cores, 3), format_id_list(c->shards, 2),
            std::to_string(c->restarts), running ? format_uptime(c->uptime_s) : "-"};
    if (gateway) {
      // Shards READY out of the cluster's shards, as the cluster reported them.
      const auto ready = std::count_if(c->shard_states.begin(), c->shard_states.end(),
                                       [](const ShardRow& r) { return r.state == "ready"; });
      row.insert(row.begin() + 5, fmt::format("{}/{}", ready, c->shards.size()));
      for (const ShardRow& r : c->shard_states) {
        if (r.state == "fatal") notes += fmt::format("cluster {}: shard {} fatal: {}\n", c->id, r.id, r.detail);
      }
    }
    rows.push_back(std::move(row));
    std::string note;
    if (c->last_exit) note = "last exit: " + *c->last_exit;
    if (c->next_start_in_s) {
      note += (note.empty() ? "" : "; ");
      note += "next start in " + seconds_short(*c->next_start_in_s);
    }
    if (!note.empty()) notes += fmt::format("cluster {}: {}\n", c->id, note);
  }

  std::string out = format_summary(status) + "\n";
  out += sorted.empty() ? std::string("no clusters\n") : render(rows);
  if (gateway) out += format_identify(*status.gateway);
  if (!status.services.empty()) {
    std::string services;
    add_services(status, services, notes);
    out += "\n" + services;
  }
  if (!notes.empty()) out += "\n" + notes;
  return out;
}

}  // namespace megane::ctl
