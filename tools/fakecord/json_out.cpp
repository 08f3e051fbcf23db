#include "fakecord/json_out.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

namespace fakecord::json {

void str(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain_from, i - plain_from));
    plain_from = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c)); break;
    }
  }
  out.append(text.substr(plain_from));
  out.push_back('"');
}

std::size_t digits(char* buf, std::uint64_t value) {
  const auto [end, ec] = std::to_chars(buf, buf + 20, value);
  (void)ec;
  return static_cast<std::size_t>(end - buf);
}

void id(std::string& out, std::uint64_t value) {
  char buf[24];
  buf[0] = '"';
  const std::size_t n = digits(buf + 1, value);
  buf[n + 1] = '"';
  out.append(buf, n + 2);
}

void num(std::string& out, std::uint64_t value) {
  char buf[24];
  out.append(buf, digits(buf, value));
}

void num(std::string& out, std::int64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void id_or_null(std::string& out, std::uint64_t value) {
  if (value == 0) {
    out.append("null");
  } else {
    id(out, value);
  }
}

void boolean(std::string& out, bool value) { out.append(value ? "true" : "false"); }

void timestamp(std::string& out, std::uint64_t unix_ms) {
  const auto secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000+00:00\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 unix_ms % 1000);
}

}  // namespace fakecord::json
