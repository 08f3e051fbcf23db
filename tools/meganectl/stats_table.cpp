#include "meganectl/stats_table.hpp"

#include <cstdint>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "meganectl/status_table.hpp"

namespace megane::ctl {
namespace {

namespace dom = simdjson::dom;
using Row = std::vector<std::string>;

// Fields read leniently: a missing or null field prints "-", so an older or newer daemon's
// reply still renders.
std::optional<double> number(dom::element e, std::string_view key) {
  double d = 0;
  if (e[key].get_double().get(d) == simdjson::SUCCESS) return d;
  std::int64_t i = 0;
  if (e[key].get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  std::uint64_t u = 0;
  if (e[key].get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  return std::nullopt;
}

std::string text(dom::element e, std::string_view key) {
  std::string_view s;
  return e[key].get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string("-");
}

std::string percent(std::optional<double> v) { return v ? fmt::format("{:.1f}%", *v) : "-"; }
std::string bytes(std::optional<double> v) { return v ? format_bytes(*v) : "-"; }

// Columns every process has: PID STATE CPU RSS UPTIME RESTARTS.
Row process_columns(dom::element c) {
  const auto pid = number(c, "pid").value_or(0);
  const bool running = pid > 0;
  return {running ? fmt::format("{:.0f}", pid) : "-", text(c, "state"), percent(number(c, "cpu_percent")),
          bytes(number(c, "rss_bytes")), running ? format_uptime(number(c, "uptime_s").value_or(0)) : "-",
          fmt::format("{:.0f}", number(c, "restarts").value_or(0))};
}

// "2/2" shards ready and the mean latency of the shards that know theirs.
std::pair<std::string, std::string> shard_columns(dom::element c) {
  dom::array shards;
  if (c["shards"].get_array().get(shards) != simdjson::SUCCESS || shards.size() == 0) return {"-", "-"};
  std::size_t ready = 0, with_latency = 0;
  double latency = 0;
  for (dom::element s : shards) {
    if (text(s, "state") == "ready") ++ready;
    if (const double ms = number(s, "latency_ms").value_or(0); ms > 0) {
      latency += ms;
      ++with_latency;
    }
  }
  return {fmt::format("{}/{}", ready, shards.size()),
          with_latency == 0 ? "-" : fmt::format("{:.0f}ms", latency / static_cast<double>(with_latency))};
}

void add_custom(std::string& notes, const std::string& who, dom::element c) {
  dom::element custom;
  if (c["custom"].get(custom) != simdjson::SUCCESS || custom.is_null()) return;
  notes += fmt::format("{} custom: {}\n", who, simdjson::minify(custom));
}

}  // namespace

std::string format_bytes(double bytes) {
  if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1024.0 * 1024) return fmt::format("{:.0f} KiB", bytes / 1024);
  if (bytes < 1024.0 * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / 1024 / 1024);
  return fmt::format("{:.2f} GiB", bytes / 1024 / 1024 / 1024);
}

std::optional<std::string> format_stats(std::string_view json, std::string& error) {
  dom::parser parser;
  dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    error = "meganed's stats reply is not a JSON object";
    return std::nullopt;
  }
  const double collection = number(root, "collection").value_or(0);
  dom::element daemon;
  const bool has_daemon = root["daemon"].get(daemon) == simdjson::SUCCESS;
  std::string out;
  if (collection == 0) {
    return fmt::format("{}: no statistics yet: the first collection comes {} after meganed started\n",
                       text(root, "bot"), format_uptime(number(root, "interval_s").value_or(0)));
  }
  out += fmt::format("{}: collection {} (every {}, {} ago); meganed: cpu {}, rss {}\n", text(root, "bot"),
                     collection, format_uptime(number(root, "interval_s").value_or(0)),
                     format_uptime(number(root, "age_s").value_or(0)),
                     has_daemon ? percent(number(daemon, "cpu_percent")) : "-",
                     has_daemon ? bytes(number(daemon, "rss_bytes")) : "-");
  std::string notes;
  std::vector<Row> rows{{"CLUSTER", "PID", "STATE", "CPU", "RSS", "UPTIME", "RESTARTS", "SHARDS", "LATENCY",
                         "GUILDS", "USERS", "EVENTS/S"}};
  dom::array clusters;
  if (root["clusters"].get_array().get(clusters) == simdjson::SUCCESS) {
    for (dom::element c : clusters) {
      const std::string id = fmt::format("{:.0f}", number(c, "id").value_or(0));
      Row row{id};
      for (std::string& col : process_columns(c)) row.push_back(std::move(col));
      auto [ready, latency] = shard_columns(c);
      bool reported = false;
      if (c["reported"].get_bool().get(reported) != simdjson::SUCCESS) reported = false;
      row.push_back(ready);
      row.push_back(latency);
      row.push_back(reported ? fmt::format("{:.0f}", number(c, "guilds").value_or(0)) : "-");
      const auto users = reported ? number(c, "users") : std::nullopt;
      row.push_back(users ? fmt::format("{:.0f}", *users) : "-");
      row.push_back(reported ? fmt::format("{:.1f}", number(c, "events_per_second").value_or(0)) : "-");
      rows.push_back(std::move(row));
      add_custom(notes, "cluster " + id, c);
    }
  }
  out += render_table(rows);
  dom::element totals;
  if (root["totals"].get(totals) == simdjson::SUCCESS && rows.size() > 2) {
    out += fmt::format("total: {:.0f} guilds, {:.0f} users (deduplicated per cluster), {:.1f} events/s\n",
                       number(totals, "guilds").value_or(0), number(totals, "users").value_or(0),
                       number(totals, "events_per_second").value_or(0));
  }
  dom::array services;
  if (root["services"].get_array().get(services) == simdjson::SUCCESS && services.size() > 0) {
    std::vector<Row> srows{{"SERVICE", "PID", "STATE", "CPU", "RSS", "UPTIME", "RESTARTS"}};
    for (dom::element c : services) {
      Row row{text(c, "name")};
      for (std::string& col : process_columns(c)) row.push_back(std::move(col));
      srows.push_back(std::move(row));
      add_custom(notes, "service " + text(c, "name"), c);
    }
    out += "\n" + render_table(srows);
  }
  if (!notes.empty()) out += "\n" + notes;
  return out;
}

}  // namespace megane::ctl
