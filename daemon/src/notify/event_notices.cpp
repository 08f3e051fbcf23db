#include "notify/event_notices.hpp"

#include <cstdint>

#include <fmt/format.h>
#include <simdjson.h>

namespace megane::daemon {

namespace {

// The few fields notices use, read leniently: an event from a newer part of meganed with
// other fields still becomes a line.
struct Fields {
  std::string who;     // "cluster 3" / "service poller"
  std::string reason;  // exits
  bool expected = false;
  std::string scalars;  // every other scalar field as "name: value", for unknown shapes
};

std::optional<Fields> read_fields(std::string_view json) {
  // An empty view may carry a null pointer, which simdjson would hand to memcpy.
  if (json.empty()) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) return std::nullopt;
  Fields f;
  std::uint64_t cluster = 0;
  std::string_view text;
  if (doc["cluster"].get_uint64().get(cluster) == simdjson::SUCCESS) f.who = fmt::format("cluster {}", cluster);
  else if (doc["service"].get_string().get(text) == simdjson::SUCCESS) f.who = fmt::format("service {}", text);
  if (doc["reason"].get_string().get(text) == simdjson::SUCCESS) f.reason = std::string(text);
  bool flag = false;
  if (doc["expected"].get_bool().get(flag) == simdjson::SUCCESS) f.expected = flag;
  for (auto [key, value] : doc.get_object()) {
    if (key == "type") continue;
    std::string shown;
    switch (value.type()) {
      case simdjson::dom::element_type::STRING: shown = std::string(value.get_string().value()); break;
      case simdjson::dom::element_type::INT64: shown = std::to_string(value.get_int64().value()); break;
      case simdjson::dom::element_type::UINT64: shown = std::to_string(value.get_uint64().value()); break;
      case simdjson::dom::element_type::DOUBLE: shown = fmt::format("{}", value.get_double().value()); break;
      case simdjson::dom::element_type::BOOL: shown = value.get_bool().value() ? "true" : "false"; break;
      case simdjson::dom::element_type::ARRAY:
      case simdjson::dom::element_type::OBJECT:
      case simdjson::dom::element_type::NULL_VALUE: continue;
    }
    f.scalars += fmt::format("{}{}: {}", f.scalars.empty() ? "" : ", ", key, shown);
  }
  return f;
}

}  // namespace

std::optional<Notice> EventNotices::translate(std::string_view type, std::string_view json) {
  // An event kind this build of proto does not name (to_string says "unknown") still carries
  // its name in the JSON's "type".
  std::string named;
  if (type == "unknown" && !json.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view text;
    if (parser.parse(json.data(), json.size()).get(doc) == simdjson::SUCCESS &&
        doc["type"].get_string().get(text) == simdjson::SUCCESS) {
      named = std::string(text);
      type = named;
    }
  }
  const bool cluster = type.starts_with("cluster_");
  const bool service = type.starts_with("service_");
  if (type == "rolling_restart_finished") {
    // Defined by the rolling restart work; whatever it carries is shown as it comes.
    const auto f = read_fields(json);
    std::string text = "rolling restart finished";
    if (f && !f->scalars.empty()) text += " (" + f->scalars + ")";
    return Notice{NoticeKind::rolling_restart_finished, std::move(text)};
  }
  if (!cluster && !service) return std::nullopt;
  const auto f = read_fields(json);
  if (!f || f->who.empty()) return std::nullopt;
  const std::string_view what = type.substr(8);
  if (what == "exited") {
    lost_process_.insert(f->who);
    // Asked for (restart, stop): the operator knows; a restart shows up as "restarted".
    if (f->expected) return std::nullopt;
    return Notice{cluster ? NoticeKind::cluster_exited : NoticeKind::service_exited,
                  fmt::format("{} exited: {}", f->who, f->reason.empty() ? "unknown reason" : f->reason)};
  }
  if (what == "quarantined") {
    return Notice{cluster ? NoticeKind::cluster_quarantined : NoticeKind::service_quarantined,
                  fmt::format("{} quarantined after repeated crashes", f->who)};
  }
  if (what == "failed") {
    return Notice{cluster ? NoticeKind::cluster_failed : NoticeKind::service_failed,
                  fmt::format("{} failed: exited with the do-not-restart code; waiting for `meganectl restart`", f->who)};
  }
  if (what == "ready") {
    if (lost_process_.erase(f->who) == 0) return std::nullopt;  // its first start
    // There is no service_restarted kind: a service back up is the end of its exit story.
    if (!cluster) return std::nullopt;
    return Notice{NoticeKind::cluster_restarted, fmt::format("{} restarted: ready again", f->who)};
  }
  return std::nullopt;
}

}  // namespace megane::daemon
