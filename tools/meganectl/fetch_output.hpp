// How `meganectl fetch` prints what came back (docs/meganectl.md#fetch). Pure, unit-tested.
#pragma once

#include <string>
#include <string_view>

#include <megane/proto/fetch_messages.hpp>

namespace megane::ctl {

// "found", "not_found", or the failure's word: "unavailable", "exited", "timeout", "error".
std::string_view fetch_status_name(const proto::FetchOutcome& outcome) noexcept;

// One line: {"kind":"guild","id":"123","status":"found","cluster":1,"data":{...}}; without
// data, with "error" for a failure.
std::string format_fetch_json(proto::FetchKind kind, const proto::FetchOutcome& outcome);

}  // namespace megane::ctl
