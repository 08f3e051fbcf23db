#include "meganectl/status.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace megane::ctl {
namespace {

namespace od = simdjson::ondemand;

// simdjson's exception API keeps the field walk short; every simdjson_error is caught in
// parse_reply() and returned as a value.
// Calls on_field(key, value) for each field of the object v, in document order (on-demand
// values must be read in order, once).
template <class F>
void for_each_field(od::value v, F&& on_field) {
  for (auto field : v.get_object()) {
    const std::string_view key = field.unescaped_key();
    on_field(key, od::value(field.value()));
  }
}

// Parses a whole reply that is one JSON object into T, field by field; a reply that is not the
// expected JSON becomes the error text "the daemon's WHAT is not the expected JSON: ...".
template <class T, class F>
std::variant<T, std::string> parse_reply(std::string_view json, std::string_view what, F&& on_field) {
  try {
    od::parser parser;
    const simdjson::padded_string padded(json);  // on-demand reads past the end
    od::document doc = parser.iterate(padded);
    T out;
    for_each_field(doc.get_value(), [&](std::string_view key, od::value value) { on_field(out, key, value); });
    return out;
  } catch (const simdjson::simdjson_error& e) {
    return fmt::format("the daemon's {} is not the expected JSON: {}", what, e.what());
  }
}

bool is_null(od::value v) { return v.type() == od::json_type::null; }

std::string string_of(od::value v) { return std::string(std::string_view(v.get_string())); }

template <class T>
T integer_of(od::value v) {
  if constexpr (std::is_signed_v<T>) {
    return static_cast<T>(std::int64_t(v.get_int64()));
  } else {
    return static_cast<T>(std::uint64_t(v.get_uint64()));
  }
}

std::vector<std::int64_t> integers_of(od::value v) {
  std::vector<std::int64_t> out;
  for (auto item : v.get_array()) out.push_back(std::int64_t(item.get_int64()));
  return out;
}

DaemonInfo daemon_of(od::value v) {
  DaemonInfo d;
  for_each_field(v, [&](std::string_view key, od::value value) {
    if (key == "pid") d.pid = integer_of<std::int64_t>(value);
    else if (key == "version") d.version = string_of(value);
    else if (key == "uptime_s") d.uptime_s = double(value.get_double());
    else if (key == "socket") d.socket = string_of(value);
  });
  return d;
}

ShardRow shard_of(od::value v) {
  ShardRow r;
  for_each_field(v, [&](std::string_view key, od::value value) {
    if (key == "id") r.id = integer_of<std::uint32_t>(value);
    else if (key == "state") r.state = string_of(value);
    else if (key == "latency_ms") r.latency_ms = integer_of<std::uint64_t>(value);
    else if (key == "guilds") r.guilds = integer_of<std::uint64_t>(value);
    else if (key == "detail") r.detail = string_of(value);
  });
  return r;
}

IdentifyBudget identify_of(od::value v) {
  IdentifyBudget b;
  for_each_field(v, [&](std::string_view key, od::value value) {
    if (key == "remaining") b.remaining = integer_of<std::uint64_t>(value);
    else if (key == "total") b.total = integer_of<std::uint64_t>(value);
    else if (key == "reserve") b.reserve = integer_of<std::uint64_t>(value);
    else if (key == "in_flight") b.in_flight = integer_of<std::uint64_t>(value);
    else if (key == "waiting") b.waiting = integer_of<std::uint64_t>(value);
    else if (key == "resets_in_s") b.resets_in_s = double(value.get_double());
    else if (key == "blocked_reason") {
      if (!is_null(value)) b.blocked_reason = string_of(value);
    }
  });
  return b;
}

GatewayStatus gateway_of(od::value v) {
  GatewayStatus g;
  for_each_field(v, [&](std::string_view key, od::value value) {
    if (key == "shards") g.shards = integer_of<std::uint64_t>(value);
    else if (key == "recommended_shards") g.recommended_shards = integer_of<std::uint64_t>(value);
    else if (key == "max_concurrency") g.max_concurrency = integer_of<std::uint64_t>(value);
    else if (key == "sessions") g.sessions = integer_of<std::uint64_t>(value);
    else if (key == "identify") g.identify = identify_of(value);
  });
  return g;
}

ClusterStatus cluster_of(od::value v) {
  ClusterStatus c;
  for_each_field(v, [&](std::string_view key, od::value value) {
    if (key == "id") c.id = integer_of<std::uint32_t>(value);
    else if (key == "pid") c.pid = integer_of<std::int64_t>(value);
    else if (key == "state") c.state = string_of(value);
    else if (key == "cores") c.cores = integers_of(value);
    else if (key == "shards") c.shards = integers_of(value);
    else if (key == "restarts") c.restarts = integer_of<std::uint64_t>(value);
    else if (key == "uptime_s") c.uptime_s = double(value.get_double());
    else if (key == "generation") c.generation = integer_of<std::uint64_t>(value);
    else if (key == "last_exit") {
      if (!is_null(value)) c.last_exit = string_of(value);
    } else if (key == "next_start_in_s") {
      if (!is_null(value)) c.next_start_in_s = double(value.get_double());
    } else if (key == "shard_states") {
      for (auto item : value.get_array()) c.shard_states.push_back(shard_of(item.value()));
    }
  });
  return c;
}

ServiceStatus service_of(od::value v) {
  ServiceStatus s;
  for_each_field(v, [&](std::string_view key, od::value value) {
    if (key == "name") s.name = string_of(value);
    else if (key == "pid") s.pid = integer_of<std::int64_t>(value);
    else if (key == "state") s.state = string_of(value);
    else if (key == "restarts") s.restarts = integer_of<std::uint64_t>(value);
    else if (key == "uptime_s") s.uptime_s = double(value.get_double());
    else if (key == "generation") s.generation = integer_of<std::uint64_t>(value);
    else if (key == "last_exit") {
      if (!is_null(value)) s.last_exit = string_of(value);
    }
  });
  return s;
}

}  // namespace

std::variant<Status, std::string> parse_status(std::string_view json) {
  return parse_reply<Status>(json, "status", [](Status& s, std::string_view key, od::value value) {
    if (key == "bot") s.bot = string_of(value);
    else if (key == "daemon") s.daemon = daemon_of(value);
    else if (key == "shards_total") s.shards_total = integer_of<std::uint64_t>(value);
    else if (key == "all_ready") s.all_ready = bool(value.get_bool());
    else if (key == "clusters") {
      for (auto item : value.get_array()) s.clusters.push_back(cluster_of(item.value()));
    } else if (key == "services") {
      for (auto item : value.get_array()) s.services.push_back(service_of(item.value()));
    } else if (key == "gateway") {
      if (!is_null(value)) s.gateway = gateway_of(value);
    }
  });
}

std::variant<RestartReply, std::string> parse_restart_reply(std::string_view json) {
  return parse_reply<RestartReply>(json, "restart reply", [](RestartReply& r, std::string_view key, od::value value) {
    if (key == "id") r.id = integer_of<std::uint32_t>(value);
    else if (key == "state") r.state = string_of(value);
    else if (key == "pid") r.pid = integer_of<std::int64_t>(value);
  });
}

std::variant<ServiceRestartReply, std::string> parse_service_restart_reply(std::string_view json) {
  return parse_reply<ServiceRestartReply>(json, "restart reply",
                                          [](ServiceRestartReply& r, std::string_view key, od::value value) {
                                            if (key == "service") r.service = string_of(value);
                                            else if (key == "state") r.state = string_of(value);
                                            else if (key == "pid") r.pid = integer_of<std::int64_t>(value);
                                          });
}

}  // namespace megane::ctl
