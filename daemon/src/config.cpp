// Entry points of the config loader: pick the reader by extension, then validate the tree.
#include "config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "config_schema.hpp"
#include "json_reader.hpp"
#include "toml_reader.hpp"

namespace megane::daemon {

namespace fs = std::filesystem;

namespace {

enum class Format { toml, json };

// A config file is a few kilobytes; anything this big is the wrong file, not a config.
constexpr std::size_t max_file_bytes = 4u << 20;

ConfigError whole_file_error(const fs::path& file, std::string message) {
  return ConfigError{file, 0, 0, {}, std::move(message)};
}

std::variant<Format, ConfigError> format_of(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".toml") return Format::toml;
  if (ext == ".json") return Format::json;
  return whole_file_error(
      file, ext.empty() ? "the config file has no extension; name it .toml or .json"
                        : fmt::format("unsupported config file extension \"{}\"; use .toml or .json",
                                      ext));
}

// Whole-file read with POSIX calls, because only they report errno reliably (EISDIR, EACCES).
std::variant<std::string, ConfigError> read_file(const fs::path& file) {
  const auto failure = [&](int error) {
    return whole_file_error(file, fmt::format("cannot read the config file: {}", std::strerror(error)));
  };
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failure(errno);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return failure(error);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_file_bytes) {
      ::close(fd);
      return whole_file_error(file, fmt::format("the config file is larger than {} MiB; is it "
                                                "the right file?",
                                                max_file_bytes >> 20));
    }
  }
  ::close(fd);
  return text;
}

// An environment variable, or empty when unset, empty or not an absolute directory
// (the XDG spec says to ignore relative values; we do the same for systemd's).
fs::path absolute_env_dir(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return {};
  std::string_view dir(value);
  // systemd sets RUNTIME_DIRECTORY to every RuntimeDirectory= joined by ':'; use the first.
  dir = dir.substr(0, dir.find(':'));
  fs::path path(dir);
  return path.is_absolute() ? path : fs::path{};
}

LoadResult parse_checked(std::string_view text, const fs::path& file) {
  const auto format = format_of(file);
  if (const auto* error = std::get_if<ConfigError>(&format)) return *error;
  TreeResult tree = std::get<Format>(format) == Format::toml ? read_toml(text, file.string())
                                                             : read_json(text);
  if (auto* error = std::get_if<TreeError>(&tree)) {
    return ConfigError{file, error->pos.line, error->pos.column, std::move(error->key),
                       std::move(error->message)};
  }
  std::error_code ec;
  fs::path source = fs::absolute(file, ec);
  if (ec) return whole_file_error(file, fmt::format("cannot make the path absolute: {}", ec.message()));
  return validate_config(std::get<Node>(tree), file, source.lexically_normal());
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file.string();
  if (line != 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  // One error, one line: callers grep logs and the integration test compares stderr lines.
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

// The last resort of both defaults: a per-user directory under $TMPDIR (so parallel runs
// with their own TMPDIR never collide), else the system's temporary directory.
static fs::path private_temp_dir() {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec || base.empty()) base = P_tmpdir;
  return base / fmt::format("megane-{}", ::geteuid());
}

fs::path default_socket_path(const std::string& bot_name) {
  const std::string file = bot_name + ".sock";
  if (fs::path dir = absolute_env_dir("RUNTIME_DIRECTORY"); !dir.empty()) return dir / file;
  if (::geteuid() == 0) return fs::path("/run/megane") / file;
  if (fs::path dir = absolute_env_dir("XDG_RUNTIME_DIR"); !dir.empty()) {
    return dir / "megane" / file;
  }
  return private_temp_dir() / file;
}

fs::path default_store_path(const std::string& bot_name) {
  const std::string file = bot_name + ".store";
  if (fs::path dir = absolute_env_dir("STATE_DIRECTORY"); !dir.empty()) return dir / file;
  if (::geteuid() == 0) return fs::path("/var/lib/megane") / file;
  if (fs::path dir = absolute_env_dir("XDG_STATE_HOME"); !dir.empty()) return dir / "megane" / file;
  if (fs::path dir = absolute_env_dir("HOME"); !dir.empty()) return dir / ".local" / "state" / "megane" / file;
  return private_temp_dir() / file;
}

LoadResult load_config(const fs::path& file) {
  try {
    // Extension first: a .yaml file is wrong whether or not it can be read.
    if (auto format = format_of(file); std::holds_alternative<ConfigError>(format)) {
      return std::get<ConfigError>(format);
    }
    auto text = read_file(file);
    if (auto* error = std::get_if<ConfigError>(&text)) return std::move(*error);
    return parse_checked(std::get<std::string>(text), file);
  } catch (const std::exception& e) {
    return whole_file_error(file, fmt::format("internal error while loading: {}", e.what()));
  }
}

LoadResult parse_config(std::string_view text, const fs::path& file) {
  try {
    return parse_checked(text, file);
  } catch (const std::exception& e) {
    return whole_file_error(file, fmt::format("internal error while loading: {}", e.what()));
  }
}

}  // namespace megane::daemon

namespace megane::daemon {

bool GatewayConfig::same_settings(const GatewayConfig& o) const {
  return token_file == o.token_file && token_env == o.token_env && gateway_url == o.gateway_url &&
         api_url == o.api_url && intents == o.intents && large_threshold == o.large_threshold &&
         presence_json == o.presence_json && max_concurrency == o.max_concurrency &&
         identify_window == o.identify_window && identify_reserve == o.identify_reserve && ca_file == o.ca_file;
}

}  // namespace megane::daemon
