#include "meganectl/fetch_output.hpp"

#include <fmt/format.h>

#include "meganectl/command_output.hpp"
#include "meganectl/json_text.hpp"

namespace megane::ctl {

std::string_view fetch_status_name(const proto::FetchOutcome& outcome) noexcept {
  switch (outcome.status) {
    case proto::FetchStatus::found: return "found";
    case proto::FetchStatus::not_found: return "not_found";
    case proto::FetchStatus::failed: return target_status_name(outcome.failure);
  }
  return "error";
}

std::string format_fetch_json(proto::FetchKind kind, const proto::FetchOutcome& outcome) {
  std::string out = fmt::format(R"({{"kind":"{}","id":"{}","status":"{}")", proto::to_string(kind), outcome.id,
                                fetch_status_name(outcome));
  switch (outcome.status) {
    case proto::FetchStatus::found:
      out += fmt::format(R"(,"cluster":{},"data":{})", outcome.cluster_id, one_line_json(outcome.json));
      break;
    case proto::FetchStatus::not_found: break;
    case proto::FetchStatus::failed: out += fmt::format(R"(,"error":{})", quote_json(outcome.message)); break;
  }
  return out + "}\n";
}

}  // namespace megane::ctl
