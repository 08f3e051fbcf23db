#include "gateway/token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace megane::daemon {

namespace {

// A token file is a line of text; anything larger is the wrong file.
constexpr std::size_t max_token_bytes = 4096;

std::string trimmed(std::string s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.back())) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && blank(s[start])) ++start;
  return s.substr(start);
}

// Discord tokens are printable ASCII; a control character would corrupt the HTTP header.
bool plausible(const std::string& token) {
  for (unsigned char c : token)
    if (c < 0x21 || c > 0x7e) return false;
  return !token.empty();
}

std::variant<BotToken, std::string> from_file(const GatewayConfig& g, const std::string& where) {
  const std::string file = g.token_file.string();
  const int fd = ::open(g.token_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fmt::format("{}: cannot read token file {}: {}", where, file, std::strerror(errno));
  struct stat st {};
  // Checked again on what we actually opened: the file may have changed since the config check.
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    ::close(fd);
    return fmt::format("{}: token file {} is not a regular file private to its owner (mode {:04o}); chmod 600 it",
                       where, file, static_cast<unsigned>(st.st_mode & 07777));
  }
  std::string text;
  char buffer[1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return fmt::format("{}: cannot read token file {}: {}", where, file, std::strerror(error));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_token_bytes) {
      ::close(fd);
      return fmt::format("{}: token file {} is larger than {} bytes; is it the right file?", where, file, max_token_bytes);
    }
  }
  ::close(fd);
  std::string token = trimmed(std::move(text));
  if (token.empty()) return fmt::format("{}: token file {} is empty", where, file);
  if (!plausible(token)) return fmt::format("{}: token file {} holds more than one printable word", where, file);
  return BotToken(std::move(token));
}

}  // namespace

std::variant<BotToken, std::string> read_token(const GatewayConfig& gateway, const std::string& config_file) {
  std::string env_value;
  if (char* v = std::getenv(gateway.token_env.c_str())) {
    env_value = v;
    // unsetenv() only drops the pointer: the bytes stay in the environment block the kernel
    // shows as /proc/PID/environ (to our uid and root) for the daemon's whole life.
    std::memset(v, 0, std::strlen(v));
  }
  // Before anything can fail or spawn: children copy meganed's environment.
  ::unsetenv(gateway.token_env.c_str());
  if (!gateway.token_file.empty()) {
    const std::string where = gateway.token_file_line != 0
                                  ? fmt::format("{}:{}:{}: gateway.token_file", config_file, gateway.token_file_line,
                                                gateway.token_file_column)
                                  : config_file + ": gateway.token_file";
    return from_file(gateway, where);
  }
  std::string token = trimmed(std::move(env_value));
  if (token.empty()) {
    return fmt::format("{}: gateway: no bot token: the environment variable {} is unset or empty and no token_file "
                       "is configured",
                       config_file, gateway.token_env);
  }
  if (!plausible(token)) {
    return fmt::format("{}: gateway: the environment variable {} holds more than one printable word",
                       config_file, gateway.token_env);
  }
  return BotToken(std::move(token));
}

}  // namespace megane::daemon
