// The bot token: read once at start from [gateway] token_file or the environment variable
// named by token_env, then the variable is removed from meganed's environment so no child
// inherits it. The token leaves the daemon only in the gateway_config reply over the
// uid-checked socket and in the Authorization header to Discord.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "config.hpp"

namespace megane::daemon {

// Deliberately not formattable (no fmt::formatter, no operator<<): a token cannot end up in a
// log line or an error message by accident.
class BotToken {
 public:
  explicit BotToken(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const noexcept { return value_; }

 private:
  std::string value_;
};

// The token, or a one-line error for the operator (names the file or variable, never the
// content). Re-checks the file's permissions on the open descriptor. Unsets token_env in
// every case, so even an unused DISCORD_TOKEN does not reach the children.
std::variant<BotToken, std::string> read_token(const GatewayConfig& gateway, const std::string& config_file);

}  // namespace megane::daemon
