#include "reload/reload_plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "json_writer.hpp"

namespace megane::daemon {
namespace {

// Lists `key` in `group` when the values differ.
template <class T>
void note(std::vector<std::string>& group, const char* key, const T& running, const T& fresh) {
  if (!(running == fresh)) group.emplace_back(key);
}

void program_keys(std::vector<std::string>& group, const std::string& prefix, const ProgramConfig& running,
                  const ProgramConfig& fresh) {
  if (running.executable != fresh.executable) group.push_back(prefix + ".executable");
  if (running.args != fresh.args) group.push_back(prefix + ".args");
  if (running.env != fresh.env) group.push_back(prefix + ".env");
  if (running.working_directory != fresh.working_directory) group.push_back(prefix + ".working_directory");
}

void array(JsonWriter& w, std::string_view key, const std::vector<std::string>& items) {
  w.key(key).begin_array();
  for (const auto& item : items) w.value(item);
  w.end_array();
}

}  // namespace

ReloadReport merge_reloadable(Config& running, const Config& fresh) {
  ReloadReport r;
  auto& restart = r.needs_restart;

  // Identity, plan and everything bound at start (socket, store, token, listeners).
  note(restart, "name", running.name, fresh.name);
  const ShardingConfig& rs = running.sharding;
  const ShardingConfig& fs = fresh.sharding;
  // With "auto" the running count came from Discord, so only the mode is comparable.
  if (rs.mode != fs.mode || (fs.mode == ShardMode::fixed && rs.shards != fs.shards)) restart.emplace_back("sharding.shards");
  note(restart, "sharding.guilds_per_shard", rs.guilds_per_shard, fs.guilds_per_shard);
  note(restart, "sharding.clusters", rs.clusters, fs.clusters);
  note(restart, "sharding.cores", rs.cores, fs.cores);
  note(restart, "ipc.socket", running.ipc.socket, fresh.ipc.socket);
  note(restart, "store", running.store, fresh.store);
  // The directory is prepared (and emptied) at start.
  note(restart, "cache.snapshots", running.cache_snapshots.enabled, fresh.cache_snapshots.enabled);
  note(restart, "cache.snapshot_dir", running.cache_snapshots.dir, fresh.cache_snapshots.dir);
  if (running.gateway.has_value() != fresh.gateway.has_value() ||
      (running.gateway && !running.gateway->same_settings(*fresh.gateway))) {
    restart.emplace_back("gateway");
  }
  if (running.metrics.has_value() != fresh.metrics.has_value()) {
    restart.emplace_back("metrics");
  } else if (running.metrics && (running.metrics->host != fresh.metrics->host || running.metrics->port != fresh.metrics->port)) {
    restart.emplace_back("metrics.listen");
  }

  // Programs: each process reads them when it is spawned.
  program_keys(r.next_start, "bot", running.bot, fresh.bot);
  running.bot = fresh.bot;
  bool same_services = running.services.size() == fresh.services.size();
  for (std::size_t i = 0; same_services && i < running.services.size(); ++i)
    same_services = running.services[i].name == fresh.services[i].name;
  if (same_services) {
    // In place: the supervisor points at these entries.
    for (std::size_t i = 0; i < running.services.size(); ++i) {
      ServiceConfig& svc = running.services[i];
      const ServiceConfig& next = fresh.services[i];
      const std::string prefix = fmt::format("services.{}", svc.name);
      program_keys(r.next_start, prefix, svc, next);
      if (svc.ready_timeout != next.ready_timeout) r.next_start.push_back(prefix + ".ready_timeout");
      static_cast<ProgramConfig&>(svc) = next;
      svc.ready_timeout = next.ready_timeout;
    }
  } else {
    restart.emplace_back("services");  // added, removed or renamed
  }
  // Each cluster asks for the [cache] policy (cache_config) when it starts.
  note(r.next_start, "cache", running.cache, fresh.cache);
  running.cache = fresh.cache;
  note(r.next_start, "cache.snapshot_max_bytes", running.cache_snapshots.max_bytes, fresh.cache_snapshots.max_bytes);
  running.cache_snapshots.max_bytes = fresh.cache_snapshots.max_bytes;
  if (running.gateway && fresh.gateway &&
      running.gateway->shard_silence_timeout != fresh.gateway->shard_silence_timeout) {
    r.next_start.emplace_back("gateway.shard_silence_timeout");
    running.gateway->shard_silence_timeout = fresh.gateway->shard_silence_timeout;
  }

  // Live: the parts read these from the running config (Daemon::apply_reloaded).
  note(r.applied, "supervision", running.supervision, fresh.supervision);
  running.supervision = fresh.supervision;
  const IpcConfig& ri = running.ipc;
  const IpcConfig& fi = fresh.ipc;
  note(r.applied, "ipc.allowed_uids", ri.allowed_uids, fi.allowed_uids);
  note(r.applied, "ipc.max_frame_bytes", ri.max_frame_bytes, fi.max_frame_bytes);
  note(r.applied, "ipc.handshake_timeout", ri.handshake_timeout, fi.handshake_timeout);
  note(r.applied, "ipc.max_connections_per_uid", ri.max_connections_per_uid, fi.max_connections_per_uid);
  note(r.applied, "ipc.max_output_bytes", ri.max_output_bytes, fi.max_output_bytes);
  note(r.applied, "ipc.request_timeout", ri.request_timeout, fi.request_timeout);
  note(r.applied, "ipc.busy_poll_us", ri.busy_poll_us, fi.busy_poll_us);
  const std::filesystem::path socket = running.ipc.socket;
  running.ipc = fresh.ipc;
  running.ipc.socket = socket;
  note(r.applied, "stats.interval", running.stats.interval, fresh.stats.interval);
  running.stats = fresh.stats;
  if (running.metrics && fresh.metrics) {
    note(r.applied, "metrics.unhealthy_after", running.metrics->unhealthy_after, fresh.metrics->unhealthy_after);
    running.metrics->unhealthy_after = fresh.metrics->unhealthy_after;
  }
  // The notifier takes the new section whole (Daemon::apply_notifications) and keeps the
  // events it has collected.
  note(r.applied, "notifications", running.notifications, fresh.notifications);
  running.notifications = fresh.notifications;
  note(r.applied, "log.level", running.log_level, fresh.log_level);
  running.log_level = fresh.log_level;
  return r;
}

std::string ReloadReport::json(const std::filesystem::path& source, std::string_view type) const {
  JsonWriter w;
  w.begin_object();
  if (!type.empty()) w.field("type", type);
  w.field("config", source.string());
  array(w, "applied", applied);
  array(w, "next_start", next_start);
  array(w, "needs_restart", needs_restart);
  return w.end_object().take();
}

std::string ReloadReport::summary() const {
  if (!changed()) return "nothing changed";
  std::vector<std::string> parts;
  if (!applied.empty()) parts.push_back(fmt::format("applied {}", fmt::join(applied, ", ")));
  if (!next_start.empty()) {
    parts.push_back(fmt::format("applies to each process's next start ({}): {}",
                                "meganectl restart --all for clusters", fmt::join(next_start, ", ")));
  }
  if (!needs_restart.empty()) {
    parts.push_back(fmt::format("needs a meganed restart (the old values stay in effect): {}",
                                fmt::join(needs_restart, ", ")));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace megane::daemon
