#include "status_report.hpp"

#include <unistd.h>

#include "gateway/gateway_service.hpp"
#include "json_writer.hpp"
#include "version.hpp"

namespace megane::daemon {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t, std::chrono::steady_clock::time_point now) {
  return std::chrono::duration<double>(now - t).count();
}

// What clusters and services share: restarts, uptime, last exit, pending restart.
void write_process_fields(JsonWriter& w, const Child& c, std::chrono::steady_clock::time_point now) {
  w.field("restarts", c.spawns > 0 ? c.spawns - 1 : 0u);
  w.field("uptime_s", c.pid > 0 ? seconds_since(c.spawned_at, now) : 0.0);
  w.field("generation", c.generation);
  w.key("last_exit");
  if (c.last_exit.empty()) w.null();
  else w.value(c.last_exit);
  w.key("next_start_in_s");
  if (c.timer_due) w.value(std::max(0.0, std::chrono::duration<double>(*c.timer_due - now).count()));
  else w.null();
  w.field("failures_in_window", static_cast<std::uint64_t>(c.policy.failures_in_window()));
}

}  // namespace

std::string status_json(const Supervisor& supervisor, const DaemonInfo& info, const GatewayService* gateway) {
  const auto now = std::chrono::steady_clock::now();
  JsonWriter w;
  w.begin_object();
  w.field("bot", info.bot);
  w.key("daemon").begin_object();
  w.field("pid", static_cast<std::int64_t>(::getpid()));
  w.field("version", megane_version);
  w.field("uptime_s", seconds_since(info.started_at, now));
  w.field("socket", info.socket.string());
  w.end_object();
  w.field("shards_total", supervisor.plan().total_shards);
  w.field("all_ready", supervisor.all_ready());
  w.key("gateway");
  if (gateway) gateway->write_status(w);
  else w.null();
  w.key("clusters").begin_array();
  for (const auto& cp : supervisor.children()) {
    const Child& c = *cp;
    if (c.kind != ChildKind::cluster) continue;
    w.begin_object();
    w.field("id", c.plan.id);
    w.field("pid", static_cast<std::int64_t>(c.pid));
    w.field("state", to_string(c.state));
    w.key("cores").begin_array();
    for (int core : c.plan.cores) w.value(core);
    w.end_array();
    w.key("shards").begin_array();
    for (std::uint32_t s = 0; s < c.plan.shard_count; ++s) w.value(c.plan.first_shard + s);
    w.end_array();
    w.field("first_shard", c.plan.first_shard);
    w.field("last_shard", c.plan.last_shard());
    // "shards" already lists the ids (and must stay a list of numbers): states go beside it.
    if (gateway) gateway->write_shards(w.key("shard_states"), c.plan);
    write_process_fields(w, c, now);
    w.end_object();
  }
  w.end_array();
  w.key("services").begin_array();
  for (const auto& cp : supervisor.children()) {
    const Child& c = *cp;
    if (c.kind != ChildKind::service) continue;
    w.begin_object();
    w.field("name", c.service->name);
    w.field("pid", static_cast<std::int64_t>(c.pid));
    w.field("state", to_string(c.state));
    write_process_fields(w, c, now);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace megane::daemon
