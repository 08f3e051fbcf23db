#include "meganectl/event_output.hpp"

#include <ctime>

#include <fmt/format.h>

#include "meganectl/json_text.hpp"

namespace megane::ctl {
namespace {

// The range of kinds protocol.hpp defines; a newer daemon may send more.
constexpr std::uint16_t first_kind = 1;
constexpr std::uint16_t last_kind = static_cast<std::uint16_t>(proto::EventKind::all_members_cached);

}  // namespace

std::string event_kind_name(proto::EventKind kind) {
  const auto n = static_cast<std::uint16_t>(kind);
  // Outside the range, or a number this build does not define (a gap between issues' kinds).
  if (n < first_kind || n > last_kind || proto::to_string(kind) == "unknown") return fmt::format("event_{}", n);
  return std::string(proto::to_string(kind));
}

std::optional<proto::EventKind> parse_event_kind(std::string_view name) {
  if (name == "unknown") return std::nullopt;  // what to_string says of a gap in the numbering
  for (std::uint16_t n = first_kind; n <= last_kind; ++n) {
    const auto kind = static_cast<proto::EventKind>(n);
    if (proto::to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string event_kind_names() {
  std::string out;
  for (std::uint16_t n = first_kind; n <= last_kind; ++n) {
    const std::string_view name = proto::to_string(static_cast<proto::EventKind>(n));
    if (name == "unknown") continue;  // a gap in the numbering
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string format_utc(std::uint64_t unix_ms) {
  const auto seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

std::string format_event_line(const proto::Event& event) {
  return fmt::format("{} {} {}\n", format_utc(event.unix_ms), event_kind_name(event.kind),
                     event.json.empty() ? std::string("{}") : one_line_json(event.json));
}

std::string format_event_json(const proto::Event& event) {
  return fmt::format(R"({{"kind":{},"unix_ms":{},"event":{}}})", quote_json(event_kind_name(event.kind)),
                     event.unix_ms, event.json.empty() ? std::string("{}") : one_line_json(event.json)) +
         "\n";
}

}  // namespace megane::ctl
