// What the in-process gateway benchmarks share: an identify authority that grants at once (no
// daemon in these runs), the process's CPU time, and the token file's content.
#pragma once

#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gateway/shard_authority.hpp"

namespace megane::bench {

struct LocalAuthority final : gateway::ShardAuthority {
  boost::asio::awaitable<gateway::Permit> acquire_identify(std::uint32_t) override {
    gateway::Permit p;
    p.granted = true;
    p.ticket = 1;
    co_return p;
  }
  void identify_done(std::uint64_t, bool) override {}
  void session_changed(const proto::SessionInfo&) override {}
  void status_changed(const proto::ShardStatus&) override {}
};

// User + system CPU seconds of this process.
inline double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The token file's content without a trailing newline.
inline std::string read_token(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace megane::bench
