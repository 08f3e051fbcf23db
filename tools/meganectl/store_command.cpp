#include "meganectl/store_command.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <megane/proto/store_messages.hpp>

#include "duration.hpp"  // megane_config: the daemon's duration parser
#include "meganectl/control_client.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/json_text.hpp"
#include "meganectl/report.hpp"

namespace megane::ctl {
namespace {

using proto::MessageType;

// Page size for `keys`: the daemon's maximum, so a walk needs as few round trips as possible.
constexpr std::uint32_t keys_page = 1000;

int usage(const std::string& message) {
  fmt::print(stderr, "meganectl: {}\nRun with --help for more information.\n", message);
  return exit_code::usage;
}

// A reply that came back but does not decode.
int undecodable(std::string_view what) {
  fmt::print(stderr, "meganectl: {}: the daemon's reply does not decode\n", what);
  return exit_code::failed;
}

// Prints bytes as they are (values may be any bytes), then a newline.
void print_line(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fputc('\n', stdout);
}

std::optional<bool> applied_of(const CallResult& r) {
  proto::StoreApplied a;
  if (!proto::decode(r.payload, a)) return std::nullopt;
  return a.applied;
}

}  // namespace

std::variant<std::chrono::milliseconds, std::string> parse_ttl(std::string_view text) {
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  const bool bare_number = !text.empty() && ec == std::errc{} && end == text.data() + text.size();
  const daemon::DurationResult parsed =
      bare_number ? daemon::duration_from_seconds(seconds) : daemon::parse_duration(text);
  if (!parsed.ok()) return fmt::format("--ttl: {}", parsed.error);
  if (parsed.value.count() == 0) return std::string("--ttl: must be greater than zero");
  return parsed.value;
}

StoreCli::StoreCli(CLI::App& app) {
  store_ = app.add_subcommand("store", "Read and write the central key/value store");
  store_->require_subcommand(1);

  get_ = store_->add_subcommand("get", "Print the value of KEY (exit 1 when absent)");
  get_->add_option("KEY", key_, "the key")->required();

  set_ = store_->add_subcommand("set", "Set KEY to VALUE");
  set_->add_option("KEY", key_, "the key")->required();
  set_->add_option("VALUE", value_, "the value (any text)")->required();
  set_->add_option("--ttl", ttl_, "expire the key after this long: 90s, 1m30s, 1h, plain seconds");
  auto* absent = set_->add_flag("--if-absent", if_absent_, "only if the key does not exist");
  auto* present = set_->add_flag("--if-present", if_present_, "only if the key exists");
  absent->excludes(present);

  del_ = store_->add_subcommand("del", "Delete KEY (exit 1 when absent)");
  del_->add_option("KEY", key_, "the key")->required();

  incr_ = store_->add_subcommand("incr", "Add DELTA (default 1) to the integer at KEY, print the result");
  incr_->add_option("KEY", key_, "the key")->required();
  incr_->add_option("DELTA", delta_, "a signed 64-bit integer");

  keys_ = store_->add_subcommand("keys", "List the keys starting with PREFIX (all keys without it)");
  keys_->add_option("PREFIX", prefix_, "only keys starting with this");
  keys_->add_flag("--json", json_, "print one JSON array of strings");
}

bool StoreCli::parsed() const { return store_->parsed(); }

int StoreCli::run(const CommonOptions& options) const {
  if (get_->parsed()) return get(options);
  if (set_->parsed()) return set(options);
  if (del_->parsed()) return del(options);
  if (incr_->parsed()) return incr(options);
  if (keys_->parsed()) return keys(options);
  return usage("store: give one of get, set, del, incr, keys");
}

int StoreCli::get(const CommonOptions& options) const {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const CallResult r = client.request(MessageType::store_get, proto::encode(proto::StoreGet{key_}), deadline_of(options));
  if (!r.ok()) return report(r, "store get", options);
  proto::StoreValue v;
  if (!proto::decode(r.payload, v)) return undecodable("store get");
  if (!v.found) {
    fmt::print(stderr, "meganectl: store get: no key '{}'\n", key_);
    return exit_code::failed;
  }
  print_line(v.value);
  return exit_code::ok;
}

int StoreCli::set(const CommonOptions& options) const {
  proto::StoreSet request{key_, value_, 0, proto::StoreCondition::always};
  if (!ttl_.empty()) {
    auto ttl = parse_ttl(ttl_);
    if (const auto* error = std::get_if<std::string>(&ttl)) return usage(*error);
    request.ttl_ms = static_cast<std::uint64_t>(std::get<std::chrono::milliseconds>(ttl).count());
  }
  if (if_absent_) request.condition = proto::StoreCondition::if_absent;
  if (if_present_) request.condition = proto::StoreCondition::if_present;
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const CallResult r = client.request(MessageType::store_set, proto::encode(request), deadline_of(options));
  if (!r.ok()) return report(r, "store set", options);
  const auto applied = applied_of(r);
  if (!applied) return undecodable("store set");
  if (!*applied) {
    fmt::print(stderr, "meganectl: store set: '{}' not set: it {}\n", key_,
               if_absent_ ? "already exists" : "does not exist");
    return exit_code::failed;
  }
  fmt::print("OK\n");
  return exit_code::ok;
}

int StoreCli::del(const CommonOptions& options) const {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const CallResult r = client.request(MessageType::store_delete, proto::encode(proto::StoreDelete{key_}),
                                      deadline_of(options));
  if (!r.ok()) return report(r, "store del", options);
  const auto applied = applied_of(r);
  if (!applied) return undecodable("store del");
  if (!*applied) {
    fmt::print(stderr, "meganectl: store del: no key '{}'\n", key_);
    return exit_code::failed;
  }
  fmt::print("deleted\n");
  return exit_code::ok;
}

int StoreCli::incr(const CommonOptions& options) const {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const CallResult r = client.request(MessageType::store_increment,
                                      proto::encode(proto::StoreIncrement{key_, delta_}), deadline_of(options));
  if (!r.ok()) return report(r, "store incr", options);
  proto::StoreInteger v;
  if (!proto::decode(r.payload, v)) return undecodable("store incr");
  fmt::print("{}\n", v.value);
  return exit_code::ok;
}

int StoreCli::keys(const CommonOptions& options) const {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  // Walk every page first, print after: a failure midway prints nothing but the error.
  std::vector<std::string> all;
  std::string cursor;
  do {
    const CallResult r = client.request(MessageType::store_keys,
                                        proto::encode(proto::StoreKeys{prefix_, cursor, keys_page}),
                                        deadline_of(options));
    if (!r.ok()) return report(r, "store keys", options);
    proto::StoreKeyPage page;
    if (!proto::decode(r.payload, page)) return undecodable("store keys");
    for (auto& k : page.keys) all.push_back(std::move(k));
    cursor = std::move(page.next_cursor);
  } while (!cursor.empty());
  if (json_) {
    std::string out = "[";
    for (std::size_t i = 0; i < all.size(); ++i) out += (i ? "," : "") + quote_json(all[i]);
    fmt::print("{}]\n", out);
  } else {
    for (const auto& k : all) print_line(k);
  }
  return exit_code::ok;
}

}  // namespace megane::ctl
