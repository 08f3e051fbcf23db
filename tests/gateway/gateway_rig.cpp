#include "gateway_rig.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace megane::test {

boost::asio::awaitable<gateway::Permit> RecordingAuthority::acquire_identify(std::uint32_t) {
  ++permits;
  gateway::Permit p;
  p.granted = true;
  p.ticket = permits;
  co_return p;
}
void RecordingAuthority::identify_done(std::uint64_t ticket, bool sent) { done.emplace_back(ticket, sent); }
void RecordingAuthority::session_changed(const proto::SessionInfo& session) { sessions[session.shard_id] = session; }
void RecordingAuthority::status_changed(const proto::ShardStatus& status) { last_status[status.shard_id] = status; }

GatewayRig::GatewayRig(Fakecord& fakecord, Options options) {
  auto logger = std::make_shared<spdlog::logger>("gateway", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::debug);
  auto impl = std::make_unique<Gateway::Impl>(io.get_executor(), logger, [this](int code) { stop_code = code; });
  gateway = impl.get();
  api = std::make_unique<Gateway>(std::move(impl));
  proto::GatewayConfig config;
  config.token = options.token;
  config.gateway_url = options.gateway_url.empty() ? fakecord.gateway_url() : options.gateway_url;
  config.api_url = fakecord.api_url();
  config.intents = options.intents;
  config.total_shards = options.total;
  config.sessions = options.sessions;
  auto recording = std::make_unique<RecordingAuthority>();
  authority = recording.get();
  gateway->start(config, options.first, options.count, std::move(recording));
}

GatewayRig::~GatewayRig() {
  if (gateway && gateway->running > 0) close();
}

bool GatewayRig::run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return pred();
}

void GatewayRig::run_for(std::chrono::milliseconds time) {
  const auto deadline = std::chrono::steady_clock::now() + time;
  while (std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
}

proto::ShardState GatewayRig::state(std::uint32_t shard) const {
  for (const auto& s : gateway->shards) {
    if (s->id() == shard) return s->state();
  }
  return proto::ShardState::fatal;
}

void GatewayRig::close() {
  boost::asio::co_spawn(io, gateway->close(std::chrono::seconds(5)), boost::asio::detached);
  run_until([&] { return gateway->running == 0; }, std::chrono::seconds(8));
}

}  // namespace megane::test
