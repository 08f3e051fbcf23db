#include "metrics/metrics_text.hpp"

#include <map>
#include <string_view>

#include "metrics/exposition.hpp"

namespace megane::daemon {
namespace {

using Type = Exposition::Type;

// The families every process has, for clusters (label `cluster`) and services (`service`).
void process_families(Exposition& x, std::string_view kind, const std::vector<ChildFigures>& children) {
  const std::string prefix = "megane_" + std::string(kind);
  auto labels = [&](const ChildFigures& c) {
    return Labels{{kind, kind == "cluster" ? std::to_string(c.cluster_id) : c.service}};
  };
  x.family(prefix + "_up", Type::gauge, "1 when the process is ready, else 0.");
  for (const auto& c : children) x.sample(labels(c), c.state == "ready" ? 1 : 0);
  x.family(prefix + "_restarts", Type::counter, "Spawns after the first.");
  for (const auto& c : children) x.sample(labels(c), c.restarts);
  x.family(prefix + "_cpu_ratio", Type::gauge,
           "CPU time over the last stats interval per second of wall time (1 = one core busy).");
  for (const auto& c : children)
    if (c.process.cpu_percent) x.sample(labels(c), *c.process.cpu_percent / 100.0);
  x.family(prefix + "_cpu_seconds", Type::counter, "CPU time (user + system) of the current process.");
  for (const auto& c : children)
    if (c.process.cpu_seconds) x.sample(labels(c), *c.process.cpu_seconds);
  x.family(prefix + "_resident_memory_bytes", Type::gauge, "Resident memory of the process.");
  for (const auto& c : children)
    if (c.process.rss_bytes) x.sample(labels(c), static_cast<double>(*c.process.rss_bytes));
  x.family(prefix + "_uptime_seconds", Type::gauge, "Seconds since the current process was spawned.");
  for (const auto& c : children)
    if (c.process.pid > 0) x.sample(labels(c), c.process.uptime_s);
}

void shard_families(Exposition& x, const std::vector<ChildFigures>& clusters) {
  struct Row {
    Labels labels;
    const ShardFigures* figures = nullptr;  // null: the cluster did not report the shard
  };
  std::vector<Row> rows;
  for (const ChildFigures& c : clusters) {
    std::map<std::uint32_t, const ShardFigures*> reported;
    for (const ShardFigures& s : c.shards) reported[s.id] = &s;
    for (std::uint32_t s = c.first_shard; s < c.first_shard + c.shard_count; ++s) {
      const auto it = reported.find(s);
      rows.push_back({Labels{{"cluster", std::to_string(c.cluster_id)}, {"shard", std::to_string(s)}},
                      it == reported.end() ? nullptr : it->second});
    }
  }
  x.family("megane_shard_up", Type::gauge, "1 when the shard is READY on the gateway, else 0.");
  for (const Row& r : rows) x.sample(r.labels, r.figures && r.figures->state == proto::ShardState::ready ? 1 : 0);
  x.family("megane_shard_latency_seconds", Type::gauge, "Last heartbeat round trip of the shard.");
  for (const Row& r : rows)
    if (r.figures && r.figures->latency_ms > 0) x.sample(r.labels, r.figures->latency_ms / 1000.0);
  x.family("megane_shard_guilds", Type::gauge, "Guilds on the shard.");
  for (const Row& r : rows)
    if (r.figures) x.sample(r.labels, r.figures->guilds);
  x.family("megane_shard_events", Type::counter, "Gateway dispatches received by the cluster's current process.");
  for (const Row& r : rows)
    if (r.figures) x.sample(r.labels, static_cast<double>(r.figures->events));
}

}  // namespace

std::string metrics_text(const MetricsInput& in) {
  Exposition x;
  const StatsSnapshot& s = *in.stats;
  x.family("megane_build", Type::info, "The bot and the meganed version serving it.");
  x.sample({{"bot", in.bot}, {"version", in.version}}, 1);
  x.family("megane_stats_collections", Type::counter, "Statistics collections since meganed started.");
  x.sample({}, static_cast<double>(s.collection));
  x.family("megane_daemon_cpu_ratio", Type::gauge, "meganed's CPU time over the last stats interval per second.");
  if (s.daemon.cpu_percent) x.sample({}, *s.daemon.cpu_percent / 100.0);
  x.family("megane_daemon_resident_memory_bytes", Type::gauge, "meganed's resident memory.");
  if (s.daemon.rss_bytes) x.sample({}, static_cast<double>(*s.daemon.rss_bytes));
  x.family("megane_daemon_uptime_seconds", Type::gauge, "Seconds since meganed started.");
  if (s.collection > 0) x.sample({}, s.daemon.uptime_s);
  process_families(x, "cluster", s.clusters);
  x.family("megane_cluster_guilds", Type::gauge, "Guilds on the cluster's shards, as it last reported.");
  for (const auto& c : s.clusters)
    if (c.reported) x.sample({{"cluster", std::to_string(c.cluster_id)}}, static_cast<double>(c.guilds()));
  x.family("megane_cluster_users", Type::gauge,
           "Distinct users in the cluster's cache (one user in several of its guilds counts once).");
  bool any_users = false;
  double users = 0;
  for (const auto& c : s.clusters) {
    if (!c.reported || !c.users) continue;
    any_users = true;
    users += static_cast<double>(*c.users);
    x.sample({{"cluster", std::to_string(c.cluster_id)}}, static_cast<double>(*c.users));
  }
  x.family("megane_users", Type::gauge,
           "Sum of megane_cluster_users: a user in guilds of several clusters counts once per cluster.");
  if (any_users) x.sample({}, users);
  process_families(x, "service", s.services);
  if (in.gateway) shard_families(x, s.clusters);
  if (in.identify) {
    const IdentifyFigures& id = *in.identify;
    x.family("megane_identify_remaining", Type::gauge, "IDENTIFYs left today (Discord's count minus those since).");
    x.sample({}, static_cast<double>(id.remaining));
    x.family("megane_identify_daily_limit", Type::gauge, "IDENTIFYs allowed per day (/gateway/bot).");
    x.sample({}, static_cast<double>(id.daily_limit));
    x.family("megane_identify_reserve", Type::gauge, "IDENTIFYs always kept back from the daily budget.");
    x.sample({}, static_cast<double>(id.reserve));
    x.family("megane_identify_in_flight", Type::gauge, "Identify permits granted and not reported done.");
    x.sample({}, static_cast<double>(id.in_flight));
    x.family("megane_identify_waiting", Type::gauge, "Shards waiting for an identify permit.");
    x.sample({}, static_cast<double>(id.waiting));
  }
  if (in.notifications) {
    const NotificationFigures& n = *in.notifications;
    x.family("megane_notification_messages", Type::counter, "Notification messages Discord accepted.");
    x.sample({}, static_cast<double>(n.messages_sent));
    x.family("megane_notification_events", Type::counter, "Events delivered in notification messages.");
    x.sample({}, static_cast<double>(n.events_sent));
    x.family("megane_notification_events_dropped", Type::counter, "Events lost to a full notification queue.");
    x.sample({}, static_cast<double>(n.events_dropped));
    x.family("megane_notification_messages_failed", Type::counter, "Notification messages given up on (logged).");
    x.sample({}, static_cast<double>(n.messages_failed));
    x.family("megane_notification_rate_limited", Type::counter, "429 answers to notification messages.");
    x.sample({}, static_cast<double>(n.rate_limited));
  }
  return x.finish();
}

}  // namespace megane::daemon
