// What integration tests need to drive the real binaries: a scratch directory, a running
// meganed, a blocking control client speaking the real protocol, and /proc probes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>

namespace megane::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path bin_dir();       // the build's bin/ (meganed, bots, meganectl)
fs::path fixtures_dir();  // tests/fixtures in the source tree

// Polls `pred` every 20 ms until true or `timeout`; returns its last value.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const noexcept { return path_; }
  fs::path write(const std::string& name, const std::string& text) const;

 private:
  fs::path path_;
};

// A process started by the test with stdout+stderr to a file. Killed (group) at destruction.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const fs::path& log,
          const std::vector<std::string>& extra_env = {});
  ~Process();
  pid_t pid() const noexcept { return pid_; }
  // Waits for exit; the wait status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  void signal(int sig) const;
  std::string log_text() const;

 private:
  pid_t pid_ = -1;
  fs::path log_;
  std::optional<int> status_;
};

struct ClusterStatus {
  std::uint32_t id = 0;
  pid_t pid = 0;
  std::string state;
  std::vector<int> cores;
  std::vector<std::uint32_t> shards;
  std::uint32_t restarts = 0;
  std::string last_exit;
};

struct ServiceStatus {
  std::string name;
  pid_t pid = 0;
  std::string state;
  std::uint32_t restarts = 0;
  std::string last_exit;
};

struct Status {
  bool all_ready = false;
  std::uint32_t shards_total = 0;
  std::vector<ClusterStatus> clusters;
  std::vector<ServiceStatus> services;

  // The state of a service by name; empty when there is no such service.
  std::string service_state(const std::string& name) const;
};

std::optional<Status> parse_status(const std::string& json);

struct Reply {
  proto::FrameHeader header;
  proto::Bytes payload;
  std::string text() const { return {payload.begin(), payload.end()}; }
  bool is_error() const { return header.has(proto::FrameFlags::error); }
  std::string error_message() const;
  proto::ErrorCode error_code() const;
};

// A blocking client over the real socket. Every read has a deadline.
class Client {
 public:
  explicit Client(const fs::path& socket);
  ~Client();
  bool connected() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  // Sends a control hello; true when answered with hello_ok.
  bool hello_control();
  void send_raw(const proto::Bytes& bytes);
  void send(proto::MessageType type, std::uint32_t request_id, proto::ByteView payload = {});
  // Next frame, or nullopt on timeout or close (closed() then says which).
  std::optional<Reply> read(std::chrono::milliseconds timeout = 5s);
  std::optional<Reply> request(proto::MessageType type, proto::ByteView payload = {},
                               std::chrono::milliseconds timeout = 5s);
  bool closed() const noexcept { return closed_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
  proto::FrameAssembler in_{64u << 20};
  std::uint32_t next_id_ = 1;
};

// A meganed for one test: writes the config, starts the daemon, waits for its socket.
class Daemon {
 public:
  // `extra_env`: KEY=VALUE entries added to meganed's environment.
  Daemon(const TempDir& dir, const std::string& config_toml, const std::vector<std::string>& extra_env = {});
  ~Daemon();
  const fs::path& socket() const noexcept { return socket_; }
  Process& process() { return *process_; }
  std::optional<Status> status();
  // Waits until every cluster is ready (and the count matches, if given).
  std::optional<Status> wait_all_ready(std::chrono::milliseconds timeout = 20s);
  std::string log() const { return process_->log_text(); }

 private:
  fs::path socket_;
  std::unique_ptr<Process> process_;
};

// Runs meganectl with `args` to completion (at most 60 s); output is stdout and stderr together.
struct ToolRun {
  int exit_code = -1;
  std::string output;
};
ToolRun run_meganectl(const TempDir& dir, const std::vector<std::string>& args);

// /proc probes.
bool alive(pid_t pid);  // exists and is not a zombie
std::string proc_status_field(pid_t pid, const std::string& field);  // e.g. "Cpus_allowed_list"
std::vector<pid_t> processes_in_group(pid_t pgid);
std::string proc_environ(pid_t pid);  // NUL-separated KEY=VALUE
void reap_orphans();                  // the test is a subreaper: collect adopted zombies

}  // namespace megane::test
