#include "stats/stats_collector.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "stats/json_object.hpp"
#include "stats/stats_json.hpp"

namespace megane::daemon {

using proto::MessageType;

namespace {

// How long a collection waits for the workers' answers: short, so the CPU figures read right
// after it still describe the interval, and never past half of the interval itself.
constexpr std::chrono::milliseconds max_answer_window{2'000};

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StatsCollector::StatsCollector(boost::asio::io_context& io, const StatsConfig& config, const Supervisor& supervisor,
                               CommandRouter& router, Clock::time_point daemon_started,
                               std::shared_ptr<spdlog::logger> log)
    : io_(io),
      config_(config),
      supervisor_(supervisor),
      router_(router),
      daemon_started_(daemon_started),
      log_(std::move(log)),
      interval_timer_(io),
      window_timer_(io),
      meters_(supervisor.children().size()),
      reports_(supervisor.children().size()) {
  latest_.interval_s = std::chrono::duration<double>(config_.interval).count();
}

void StatsCollector::start() {
  next_at_ = Clock::now() + config_.interval;
  schedule();
}

void StatsCollector::stop() {
  stopped_ = true;
  interval_timer_.cancel();
  window_timer_.cancel();
}

void StatsCollector::reschedule() {
  if (stopped_ || next_at_ == Clock::time_point{}) return;  // not started (or stopping)
  next_at_ = Clock::now() + config_.interval;
  latest_.interval_s = std::chrono::duration<double>(config_.interval).count();
  interval_timer_.cancel();
  schedule();
}

void StatsCollector::schedule() {
  interval_timer_.expires_at(next_at_);
  interval_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    // A fixed rate; after a stall (suspended machine) start again from now instead of catching up.
    next_at_ += config_.interval;
    if (next_at_ < Clock::now()) next_at_ = Clock::now() + config_.interval;
    begin();
    schedule();
  });
}

void StatsCollector::begin() {
  if (collecting_) finish();  // the previous window has not closed: an interval shorter than it
  collecting_ = true;
  ++collection_;
  pending_.clear();
  const proto::Bytes payload = proto::encode(proto::StatsRequest{collection_});
  for (const auto& cp : supervisor_.children()) {
    Connection* conn = router_.connection_of(*cp);
    if (!conn) continue;
    const std::uint32_t id = next_request_id_++;
    if (next_request_id_ == 0) next_request_id_ = 1;
    pending_[id] = Pending{cp->index, cp->generation};
    conn->send(MessageType::stats_request, 0, id, payload);
  }
  if (pending_.empty()) {
    finish();
    return;
  }
  window_timer_.expires_after(std::min<Clock::duration>(max_answer_window, config_.interval / 2));
  window_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && collecting_ && !stopped_) finish();
  });
}

void StatsCollector::on_report(Connection& conn, const proto::FrameView& frame) {
  const auto it = pending_.find(frame.header.request_id);
  if (it == pending_.end() || it->second.generation != conn.generation || it->second.child != conn.child_index) {
    log_->debug("stats report {} from connection {} arrived late or unasked; dropped", frame.header.request_id,
                conn.id());
    return;
  }
  const Pending asked = it->second;
  pending_.erase(it);
  const Child& child = *supervisor_.children().at(asked.child);
  Report& report = reports_.at(asked.child);
  if (frame.header.has(proto::FrameFlags::error)) {
    log_->debug("{}: stats request answered with an error", child.label);
  } else {
    proto::WorkerStats stats;
    if (!proto::decode(frame.payload, stats)) {
      log_->warn("{}: malformed stats report ({} bytes); dropped", child.label, frame.payload.size());
    } else {
      if (!stats.custom_json.empty()) {
        std::string why;
        if (auto compact = compact_json_object(stats.custom_json, why)) {
          stats.custom_json = std::move(*compact);
        } else {
          // Once per process: the same bot code fails the same way every interval.
          if (report.warned_generation != asked.generation) {
            log_->warn("{}: custom stats from get_stats() dropped: {}", child.label, why);
            report.warned_generation = asked.generation;
          }
          stats.custom_json.clear();
        }
      }
      if (report.generation != asked.generation) {
        report.events_before.clear();
        report.before_at = child.spawned_at;
      }
      report.generation = asked.generation;
      report.collection = collection_;
      report.stats = std::move(stats);
    }
  }
  if (pending_.empty() && collecting_) {
    window_timer_.cancel();
    finish();
  }
}

void StatsCollector::finish() {
  collecting_ = false;
  pending_.clear();
  const auto now = Clock::now();
  StatsSnapshot s;
  s.collection = collection_;
  s.interval_s = std::chrono::duration<double>(config_.interval).count();
  s.unix_ms = unix_ms_now();
  s.at = now;
  s.daemon.pid = ::getpid();
  s.daemon.uptime_s = seconds_between(daemon_started_, now);
  if (auto sample = sample_process(::getpid())) {
    s.daemon.cpu_percent = daemon_meter_.update(::getpid(), sample->cpu_ticks, now, daemon_started_);
    s.daemon.cpu_seconds = static_cast<double>(sample->cpu_ticks) / clock_ticks_per_second();
    s.daemon.rss_bytes = sample->rss_bytes;
  }
  for (const auto& cp : supervisor_.children()) {
    ChildFigures f = figures_of(*cp, now);
    (cp->kind == ChildKind::cluster ? s.clusters : s.services).push_back(std::move(f));
  }
  latest_ = std::move(s);
  log_->debug("stats collection {} done", collection_);
  if (on_event) on_event(proto::EventKind::stats_updated, stats_event_json(latest_));
}

ChildFigures StatsCollector::figures_of(const Child& c, Clock::time_point now) {
  ChildFigures f;
  if (c.kind == ChildKind::cluster) {
    f.cluster_id = c.plan.id;
    f.first_shard = c.plan.first_shard;
    f.shard_count = c.plan.shard_count;
  } else {
    f.service = c.service->name;
  }
  f.state = std::string(to_string(c.state));
  f.restarts = c.spawns > 0 ? c.spawns - 1 : 0;
  if (c.pid > 0) {
    f.process.pid = c.pid;
    f.process.uptime_s = seconds_between(c.spawned_at, now);
    if (auto sample = sample_process(c.pid)) {
      f.process.cpu_percent = meters_.at(c.index).update(c.pid, sample->cpu_ticks, now, c.spawned_at);
      f.process.cpu_seconds = static_cast<double>(sample->cpu_ticks) / clock_ticks_per_second();
      f.process.rss_bytes = sample->rss_bytes;
    }
  }
  fill_worker(f, c, now);
  return f;
}

void StatsCollector::fill_worker(ChildFigures& out, const Child& c, Clock::time_point now) {
  Report& report = reports_.at(c.index);
  if (c.pid <= 0 || report.generation != c.generation || report.collection != collection_) return;
  out.reported = true;
  out.custom_json = report.stats.custom_json;
  out.users = report.stats.users;
  const double since = seconds_between(report.before_at, now);
  for (const proto::ShardStats& s : report.stats.shards) {
    ShardFigures sh{s.shard_id, s.state, s.latency_ms, s.guilds, s.events, 0.0};
    const auto before = report.events_before.find(s.shard_id);
    const std::uint64_t base = before == report.events_before.end() ? 0 : before->second;
    if (since > 0 && s.events >= base) sh.events_per_second = static_cast<double>(s.events - base) / since;
    report.events_before[s.shard_id] = s.events;
    out.shards.push_back(sh);
  }
  report.before_at = now;
}

}  // namespace megane::daemon
