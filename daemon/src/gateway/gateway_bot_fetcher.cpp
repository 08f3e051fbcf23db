#include "gateway/gateway_bot_fetcher.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "http/http_client.hpp"
#include "version.hpp"

namespace megane::daemon {

namespace {

constexpr std::chrono::milliseconds first_delay{500};
constexpr std::chrono::milliseconds max_delay{5'000};
constexpr std::chrono::milliseconds request_timeout{10'000};

}  // namespace

GatewayBotFetcher::GatewayBotFetcher(boost::asio::io_context& io, const GatewayConfig& config, const BotToken& token,
                                     std::shared_ptr<spdlog::logger> log)
    : io_(io), config_(config), token_(token), log_(std::move(log)), retry_timer_(io) {}

std::string GatewayBotFetcher::user_agent() {
  return fmt::format("DiscordBot (https://github.com/megane, {})", megane_version);
}

void GatewayBotFetcher::fetch(std::chrono::milliseconds give_up_after, std::function<void(FetchResult)> done) {
  done_ = std::move(done);
  give_up_at_ = std::chrono::steady_clock::now() + give_up_after;
  delay_ = first_delay;
  last_error_.clear();
  retry_timer_.cancel();
  attempt();
}

void GatewayBotFetcher::cancel() {
  ++attempt_id_;
  done_ = nullptr;
  retry_timer_.cancel();
}

void GatewayBotFetcher::attempt() {
  const std::uint64_t id = ++attempt_id_;
  const auto url = parse_url(config_.api_url + "/gateway/bot");
  if (!url) {  // the config check makes this unreachable; fail loudly rather than loop
    if (auto done = std::exchange(done_, nullptr)) done(FetchFailure{false, "api_url is not a valid URL"});
    return;
  }
  HttpRequest get;
  get.url = *url;
  get.authorization = "Bot " + token_.reveal();
  get.user_agent = user_agent();
  get.ca_file = config_.ca_file;
  get.timeout = request_timeout;
  async_http_request(io_, std::move(get), [this, id](HttpAnswer answer) {
    if (id != attempt_id_ || !done_) return;
    const std::string where = config_.api_url + "/gateway/bot";
    if (answer.status == 401) {
      std::exchange(done_, nullptr)(FetchFailure{true, fmt::format("token rejected by {} (401)", config_.api_url)});
      return;
    }
    std::string error;
    if (answer.status == 200) {
      auto parsed = parse_gateway_bot(answer.body);
      if (auto* info = std::get_if<GatewayBotInfo>(&parsed)) {
        std::exchange(done_, nullptr)(std::move(*info));
        return;
      }
      error = std::get<std::string>(parsed);
    } else if (answer.status != 0) {
      error = fmt::format("GET {}: HTTP {}", where, answer.status);
    } else {
      error = fmt::format("GET {}: {}", where, answer.error);
    }
    last_error_ = error;
    const auto now = std::chrono::steady_clock::now();
    if (now + delay_ >= give_up_at_) {
      std::exchange(done_, nullptr)(FetchFailure{false, error});
      return;
    }
    log_->warn("{}; retrying in {} ms", error, delay_.count());
    retry_timer_.expires_after(delay_);
    delay_ = std::min(delay_ * 2, max_delay);
    retry_timer_.async_wait([this, id](const boost::system::error_code& ec) {
      if (!ec && id == attempt_id_) attempt();
    });
  });
}

}  // namespace megane::daemon
