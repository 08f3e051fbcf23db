// What `meganectl events` prints, one line per event, and the --kind names it accepts.
// Pure, unit-tested; the command itself is watch_events.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <megane/proto/command_messages.hpp>

namespace megane::ctl {

// "cluster_exited"; kinds newer than this meganectl read "event_<number>".
std::string event_kind_name(proto::EventKind kind);

// The kind for a --kind NAME (the names event_kind_name gives), or nullopt.
std::optional<proto::EventKind> parse_event_kind(std::string_view name);

// Every known kind name, comma separated, for the usage error.
std::string event_kind_names();

// Milliseconds since the epoch as UTC ISO 8601: "2026-11-26T07:10:15.803Z".
std::string format_utc(std::uint64_t unix_ms);

// 2026-11-26T07:10:15.803Z cluster_exited {"cluster":2,...}   (plus a newline)
std::string format_event_line(const proto::Event& event);

// {"kind":"cluster_exited","unix_ms":1795677015803,"event":{...}}   (plus a newline)
// The event's JSON is embedded raw when valid, else as a string.
std::string format_event_json(const proto::Event& event);

}  // namespace megane::ctl
