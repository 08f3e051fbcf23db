#include <megane/sdk/environment.hpp>

#include <charconv>
#include <cstdlib>
#include <limits>
#include <string_view>

#include <fmt/format.h>

namespace megane {
namespace {

// Unsigned decimal only: no sign, no spaces, no hex, nothing trailing. An identity that
// "almost" parses is a daemon bug we want to see, not to guess around.
template <class T>
std::optional<T> parse_decimal(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

const std::string* find(const EnvironmentVariables& vars, std::string_view name) {
  const auto it = vars.find(name);
  return it == vars.end() || it->second.empty() ? nullptr : &it->second;
}

EnvironmentError missing(std::string_view name, std::string_view why = {}) {
  return {false, fmt::format("{} is not set{}", name, why)};
}

template <class T>
std::variant<T, EnvironmentError> required_number(const EnvironmentVariables& vars,
                                                  std::string_view name) {
  const std::string* text = find(vars, name);
  if (text == nullptr) return missing(name);
  const auto value = parse_decimal<T>(*text);
  if (!value) {
    return EnvironmentError{
        false, fmt::format("{}: '{}' is not a decimal number from 0 to {}", name, *text,
                           std::numeric_limits<T>::max())};
  }
  return *value;
}

}  // namespace

EnvironmentResult parse_environment(const EnvironmentVariables& vars) {
  const std::string* socket = find(vars, env::socket);
  const std::string* role = find(vars, env::role);
  if (socket == nullptr && role == nullptr) {
    return EnvironmentError{true, fmt::format("{} and {} are not set", env::socket, env::role)};
  }
  if (socket == nullptr) return missing(env::socket);
  if (role == nullptr) return missing(env::role);

  Environment out;
  out.socket = *socket;
  if (*role == "cluster") {
    out.role = proto::Role::cluster;
  } else if (*role == "service") {
    out.role = proto::Role::service;
  } else {
    return EnvironmentError{
        false, fmt::format("{}: '{}' is not 'cluster' or 'service'", env::role, *role)};
  }

  if (out.role == proto::Role::cluster) {
    auto id = required_number<std::uint32_t>(vars, env::cluster_id);
    if (auto* e = std::get_if<EnvironmentError>(&id)) return std::move(*e);
    out.cluster_id = std::get<std::uint32_t>(id);
  } else {
    const std::string* service = find(vars, env::service);
    if (service == nullptr) return missing(env::service, " (required for role service)");
    out.service = *service;
  }

  auto generation = required_number<std::uint64_t>(vars, env::generation);
  if (auto* e = std::get_if<EnvironmentError>(&generation)) return std::move(*e);
  out.generation = std::get<std::uint64_t>(generation);

  if (const std::string* bot = find(vars, env::bot)) out.bot = *bot;

  if (find(vars, env::stop_timeout_ms) != nullptr) {
    auto ms = required_number<std::uint32_t>(vars, env::stop_timeout_ms);
    if (auto* e = std::get_if<EnvironmentError>(&ms)) return std::move(*e);
    out.stop_timeout = std::chrono::milliseconds{std::get<std::uint32_t>(ms)};
  }
  if (find(vars, env::shard_silence_ms) != nullptr) {
    auto ms = required_number<std::uint32_t>(vars, env::shard_silence_ms);
    if (auto* e = std::get_if<EnvironmentError>(&ms)) return std::move(*e);
    out.shard_silence_timeout = std::chrono::milliseconds{std::get<std::uint32_t>(ms)};
  }
  if (const std::string* path = find(vars, env::cache_snapshot)) {
    if (path->front() != '/') {
      return EnvironmentError{false, fmt::format("{}: '{}' is not an absolute path", env::cache_snapshot, *path)};
    }
    out.cache_snapshot = *path;
  }
  if (find(vars, env::cache_snapshot_max_bytes) != nullptr) {
    auto bytes = required_number<std::uint64_t>(vars, env::cache_snapshot_max_bytes);
    if (auto* e = std::get_if<EnvironmentError>(&bytes)) return std::move(*e);
    out.cache_snapshot_max_bytes = std::get<std::uint64_t>(bytes);
  }
  return out;
}

EnvironmentResult read_environment() {
  EnvironmentVariables vars;
  for (const char* name : {env::socket, env::role, env::cluster_id, env::generation, env::bot,
                           env::service, env::stop_timeout_ms, env::shard_silence_ms, env::cache_snapshot,
                           env::cache_snapshot_max_bytes}) {
    if (const char* value = std::getenv(name)) vars.emplace(name, value);
  }
  return parse_environment(vars);
}

std::optional<std::string> role_mismatch(const Environment& env, proto::Role expected) {
  if (env.role == expected) return std::nullopt;
  const std::string started = env.role == proto::Role::service
                                  ? fmt::format("service '{}'", env.service)
                                  : fmt::format("cluster {}", env.cluster_id);
  const char* kind = expected == proto::Role::service ? "service" : "cluster";
  const char* base = expected == proto::Role::service ? "ServiceWorker" : "ClusterWorker";
  return fmt::format("started as {}, but this program is a {} worker (it derives from megane::{}): "
                     "check the executable in meganed's config",
                     started, kind, base);
}

}  // namespace megane
