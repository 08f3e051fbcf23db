// Shared by the chaos, durability and access tests: store clients that remember exactly which
// writes were acknowledged, a read-back that names what is missing, and /proc probes for the
// daemon's health (zombies, descriptors, memory). Test lengths scale with environment knobs so
// scripts/chaos/ can run the same tests for minutes.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace megane::test {

// An integer from the environment (e.g. MEGANE_CHAOS_SECONDS), or `fallback`.
long env_long(const char* name, long fallback);

// A control client that said hello, retrying until the daemon listens (after a restart the
// socket file of the dead daemon may still be there); nullptr on timeout.
std::unique_ptr<Client> connect_control(const fs::path& socket, std::chrono::milliseconds timeout = 10s);

// A key and the value the store must hold for it.
struct KeyValue {
  std::string key;
  std::string value;
};

// Writes on its own connection, 16 in flight, in a thread, until stop() or until the daemon
// goes away. Write n sets "<prefix>:<n>" (or "<prefix>:<n % slots>" with slots, so the store
// stays the same size) to "v<prefix>:<n>". Requests on one connection apply in order, so the
// last acknowledged write of each key is what the store must hold.
class AckedWriter {
 public:
  AckedWriter(fs::path socket, std::string prefix, std::uint32_t slots = 0);
  ~AckedWriter();
  void stop();
  // After stop(): per key, the value of its last acknowledged write.
  std::vector<KeyValue> expected() const;
  std::size_t acked() const { return acked_.size(); }  // after stop()
  std::size_t errors() const { return errors_; }       // after stop()

 private:
  void run();

  fs::path socket_;
  std::string prefix_;
  std::uint32_t slots_;
  std::atomic<bool> stop_{false};
  std::vector<std::uint32_t> acked_;  // write numbers, in answer order
  std::size_t errors_ = 0;
  std::thread thread_;
};

// Reads every key back (pipelined) and returns those missing or holding another value.
std::vector<std::string> missing_keys(Client& c, const std::vector<KeyValue>& expected);

// /proc probes of one process.
std::vector<pid_t> zombie_children(pid_t parent);
std::size_t open_fds(pid_t pid);
std::size_t rss_kib(pid_t pid);

}  // namespace megane::test
