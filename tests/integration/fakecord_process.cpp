#include "fakecord_process.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "catch.hpp"
#include "ws_client.hpp"

namespace megane::test {

Fakecord::Fakecord(std::vector<std::string> extra, const std::string& token) {
  token_file = dir.write("token", token);
  ::chmod(token_file.c_str(), 0600);
  std::vector<std::string> argv = {(bin_dir() / "fakecord").string(), "--token-file", token_file.string()};
  // Defaults unless `extra` sets them (fakecord takes each flag once).
  for (const auto& [flag, value] : {std::pair{"--guilds", "40"}, std::pair{"--members-per-guild", "5"},
                                    std::pair{"--hello-interval-ms", "5000"}}) {
    if (std::find(extra.begin(), extra.end(), flag) != extra.end()) continue;
    argv.push_back(flag);
    argv.push_back(value);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  proc = std::make_unique<Process>(argv, dir.path() / "fakecord.log");
  const bool up = wait_until([&] { return proc->log_text().find("{\"gateway_port\":") != std::string::npos; }, 10s);
  INFO(proc->log_text());
  REQUIRE(up);
  const std::string log = proc->log_text();
  const std::size_t at = log.find("{\"gateway_port\":");
  simdjson::dom::element ports = parser.parse(log.substr(at, log.find('\n', at) - at));
  gateway = static_cast<std::uint16_t>(std::uint64_t(ports["gateway_port"]));
  api = static_cast<std::uint16_t>(std::uint64_t(ports["api_port"]));
  control_port = static_cast<std::uint16_t>(std::uint64_t(ports["control_port"]));
  resume = static_cast<std::uint16_t>(std::uint64_t(ports["resume_port"]));
}

std::uint64_t Fakecord::stat(const char* key) {
  const HttpReply r = http_request(control_port, "GET", "/stats");
  simdjson::dom::element doc = parser.parse(r.body);
  return std::uint64_t(doc[key]);
}

std::uint64_t Fakecord::stat(const char* group, const char* key) {
  const HttpReply r = http_request(control_port, "GET", "/stats");
  simdjson::dom::element doc = parser.parse(r.body);
  return std::uint64_t(doc[group][key]);
}

std::string Fakecord::stats() { return http_request(control_port, "GET", "/stats").body; }

std::string Fakecord::control(const std::string& target, const std::string& body) {
  return http_request(control_port, "POST", target, body).body;
}

}  // namespace megane::test
