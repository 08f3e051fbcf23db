// `meganectl store get|set|del|incr|keys`: the central store from the command line
// (docs/meganectl.md#store). StoreCli registers the subcommands on the app and runs the one
// that was parsed; main.cpp needs three lines for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "meganectl/commands.hpp"

namespace CLI {
class App;
}

namespace megane::ctl {

// --ttl: the config duration syntax ("90s", "1m30s", "2.5" seconds), greater than zero. The
// duration, or a one-line error for the user.
std::variant<std::chrono::milliseconds, std::string> parse_ttl(std::string_view text);

class StoreCli {
 public:
  explicit StoreCli(CLI::App& app);
  StoreCli(const StoreCli&) = delete;
  StoreCli& operator=(const StoreCli&) = delete;

  bool parsed() const;
  // Checks the arguments (exit 2), talks to the daemon, prints, returns the exit code.
  int run(const CommonOptions& options) const;

 private:
  int get(const CommonOptions& options) const;
  int set(const CommonOptions& options) const;
  int del(const CommonOptions& options) const;
  int incr(const CommonOptions& options) const;
  int keys(const CommonOptions& options) const;

  CLI::App* store_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* set_ = nullptr;
  CLI::App* del_ = nullptr;
  CLI::App* incr_ = nullptr;
  CLI::App* keys_ = nullptr;

  // Bound to the command line by CLI11 (hence the fixed address: not copyable).
  std::string key_;
  std::string value_;
  std::string ttl_;
  bool if_absent_ = false;
  bool if_present_ = false;
  std::int64_t delta_ = 1;
  std::string prefix_;
  bool json_ = false;
};

}  // namespace megane::ctl
