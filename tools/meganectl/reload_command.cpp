// `meganectl reload`: meganed re-reads its config file and says what it applied, what waits
// for each process's next start and what needs a meganed restart (docs/meganectl.md#reload).
#include <fmt/format.h>
#include <simdjson.h>

#include "meganectl/commands.hpp"
#include "meganectl/exit_codes.hpp"
#include "meganectl/report.hpp"

namespace megane::ctl {
namespace {

std::string list(simdjson::dom::element root, const char* key) {
  simdjson::dom::array items;
  if (root[key].get_array().get(items) != simdjson::SUCCESS) return {};
  std::string out;
  for (simdjson::dom::element item : items) {
    std::string_view text;
    if (item.get_string().get(text) != simdjson::SUCCESS) continue;
    if (!out.empty()) out += ", ";
    out += text;
  }
  return out;
}

}  // namespace

int reload_command(const CommonOptions& options, bool json) {
  ControlClient client;
  if (auto failed = connect(client, options)) return *failed;
  const CallResult r = client.request(proto::MessageType::reload, {}, deadline_of(options));
  if (r.status == CallStatus::rejected && r.error.code == proto::ErrorCode::invalid_config) {
    fmt::print(stderr, "meganectl: reload: {}\nmeganectl: meganed keeps running the previous config\n",
               r.error.message);
    return exit_code::config;
  }
  if (!r.ok()) return report(r, "reload", options);
  const std::string_view text = text_of(r.payload);
  if (json) {
    fmt::print("{}{}", text, text.ends_with('\n') ? "" : "\n");
    return exit_code::ok;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    fmt::print(stderr, "meganectl: reload: meganed's answer is not JSON\n");
    return exit_code::failed;
  }
  std::string_view config;
  if (root["config"].get_string().get(config) != simdjson::SUCCESS) config = "the config";
  const std::string applied = list(root, "applied");
  const std::string next_start = list(root, "next_start");
  const std::string needs_restart = list(root, "needs_restart");
  fmt::print("reloaded {}\n", config);
  if (applied.empty() && next_start.empty() && needs_restart.empty()) fmt::print("nothing changed\n");
  if (!applied.empty()) fmt::print("applied: {}\n", applied);
  if (!next_start.empty()) {
    fmt::print("applies at each process's next start (meganectl restart --all): {}\n", next_start);
  }
  if (!needs_restart.empty()) {
    fmt::print("needs a meganed restart (the running values stay until then): {}\n", needs_restart);
  }
  return exit_code::ok;
}

}  // namespace megane::ctl
