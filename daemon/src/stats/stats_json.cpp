#include "stats/stats_json.hpp"

#include "json_writer.hpp"

namespace megane::daemon {

std::uint64_t ChildFigures::guilds() const {
  std::uint64_t n = 0;
  for (const ShardFigures& s : shards) n += s.guilds;
  return n;
}

double ChildFigures::events_per_second() const {
  double n = 0;
  for (const ShardFigures& s : shards) n += s.events_per_second;
  return n;
}

namespace {

template <class T>
void optional_field(JsonWriter& w, std::string_view key, const std::optional<T>& v) {
  w.key(key);
  if (v) w.value(*v);
  else w.null();
}

void write_process(JsonWriter& w, const ProcessFigures& p) {
  w.field("pid", p.pid);
  optional_field(w, "cpu_percent", p.cpu_percent);
  optional_field(w, "cpu_seconds", p.cpu_seconds);
  optional_field(w, "rss_bytes", p.rss_bytes);
  w.field("uptime_s", p.uptime_s);
}

void write_child(JsonWriter& w, const ChildFigures& c, bool cluster) {
  w.begin_object();
  if (cluster) w.field("id", c.cluster_id);
  else w.field("name", c.service);
  w.field("state", c.state).field("restarts", c.restarts);
  write_process(w, c.process);
  w.field("reported", c.reported);
  if (cluster) {
    w.field("guilds", c.guilds());
    optional_field(w, "users", c.users);
    w.field("events_per_second", c.events_per_second());
    w.key("shards").begin_array();
    for (const ShardFigures& s : c.shards) {
      w.begin_object().field("id", s.id).field("state", proto::to_string(s.state));
      w.field("latency_ms", s.latency_ms).field("guilds", s.guilds).field("events", s.events);
      w.field("events_per_second", s.events_per_second).end_object();
    }
    w.end_array();
  }
  w.key("custom");
  if (c.custom_json.empty()) w.null();
  else w.raw(c.custom_json);
  w.end_object();
}

struct Totals {
  std::uint64_t shards = 0, shards_ready = 0, guilds = 0, users = 0;
  double events_per_second = 0, cpu_percent = 0;
  std::uint64_t rss_bytes = 0;
};

Totals totals_of(const StatsSnapshot& s) {
  Totals t;
  for (const auto* list : {&s.clusters, &s.services}) {
    for (const ChildFigures& c : *list) {
      t.cpu_percent += c.process.cpu_percent.value_or(0);
      t.rss_bytes += c.process.rss_bytes.value_or(0);
      t.guilds += c.guilds();
      t.users += c.users.value_or(0);
      t.events_per_second += c.events_per_second();
      for (const ShardFigures& sh : c.shards) {
        ++t.shards;
        if (sh.state == proto::ShardState::ready) ++t.shards_ready;
      }
    }
  }
  return t;
}

void write_totals(JsonWriter& w, const StatsSnapshot& s) {
  const Totals t = totals_of(s);
  w.key("totals").begin_object();
  w.field("cpu_percent", t.cpu_percent).field("rss_bytes", t.rss_bytes).field("guilds", t.guilds);
  w.field("users", t.users);
  w.field("shards_reported", t.shards).field("shards_ready", t.shards_ready);
  w.field("events_per_second", t.events_per_second).end_object();
}

}  // namespace

std::string stats_json(const StatsSnapshot& s, const std::string& bot, std::chrono::steady_clock::time_point now) {
  JsonWriter w;
  w.begin_object().field("bot", bot).field("collection", s.collection).field("interval_s", s.interval_s);
  w.key("age_s");
  if (s.collection == 0) w.null();
  else w.value(std::chrono::duration<double>(now - s.at).count());
  w.field("unix_ms", s.unix_ms);
  w.key("daemon").begin_object();
  write_process(w, s.daemon);
  w.end_object();
  write_totals(w, s);
  w.key("clusters").begin_array();
  for (const ChildFigures& c : s.clusters) write_child(w, c, true);
  w.end_array();
  w.key("services").begin_array();
  for (const ChildFigures& c : s.services) write_child(w, c, false);
  w.end_array();
  w.end_object();
  return w.take();
}

std::string stats_event_json(const StatsSnapshot& s) {
  JsonWriter w;
  w.begin_object().field("type", "stats_updated").field("collection", s.collection);
  w.field("interval_s", s.interval_s);
  w.key("daemon").begin_object();
  optional_field(w, "cpu_percent", s.daemon.cpu_percent);
  optional_field(w, "rss_bytes", s.daemon.rss_bytes);
  w.end_object();
  write_totals(w, s);
  w.end_object();
  return w.take();
}

}  // namespace megane::daemon
