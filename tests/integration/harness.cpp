#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <megane/proto/messages.hpp>
#include <simdjson.h>

extern char** environ;

namespace megane::test {

fs::path bin_dir() { return MEGANE_BIN_DIR; }
fs::path fixtures_dir() { return MEGANE_FIXTURES_DIR; }

namespace {

// Orphans of the daemon (after a kill -9) are re-parented to us so we can reap them.
const bool subreaper = [] { return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }();

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(20ms);
  }
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "megane-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& name, const std::string& text) const {
  const fs::path p = path_ / name;
  std::ofstream(p) << text;
  return p;
}

Process::Process(const std::vector<std::string>& argv, const fs::path& log,
                 const std::vector<std::string>& extra_env)
    : log_(log) {
  (void)subreaper;
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
}

Process::~Process() {
  if (!status_ && pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    wait(5s);
  }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  wait_until(
      [&] {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
        return status_.has_value();
      },
      timeout);
  return status_;
}

bool Process::running() { return !wait(0ms).has_value(); }

void Process::signal(int sig) const { ::kill(pid_, sig); }

std::string Process::log_text() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<Status> parse_status(const std::string& json) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  Status out;
  try {
    auto doc = parser.iterate(padded);
    out.all_ready = bool(doc["all_ready"]);
    out.shards_total = static_cast<std::uint32_t>(std::uint64_t(doc["shards_total"]));
    for (auto c : doc["clusters"].get_array()) {
      ClusterStatus cs;
      cs.id = static_cast<std::uint32_t>(std::uint64_t(c["id"]));
      cs.pid = static_cast<pid_t>(std::int64_t(c["pid"]));
      cs.state = std::string(std::string_view(c["state"]));
      for (auto core : c["cores"].get_array()) cs.cores.push_back(static_cast<int>(std::int64_t(core)));
      for (auto s : c["shards"].get_array()) cs.shards.push_back(static_cast<std::uint32_t>(std::uint64_t(s)));
      cs.restarts = static_cast<std::uint32_t>(std::uint64_t(c["restarts"]));
      auto le = c["last_exit"];
      if (!le.is_null()) cs.last_exit = std::string(std::string_view(le));
      out.clusters.push_back(std::move(cs));
    }
    for (auto sv : doc["services"].get_array()) {
      ServiceStatus ss;
      ss.name = std::string(std::string_view(sv["name"]));
      ss.pid = static_cast<pid_t>(std::int64_t(sv["pid"]));
      ss.state = std::string(std::string_view(sv["state"]));
      ss.restarts = static_cast<std::uint32_t>(std::uint64_t(sv["restarts"]));
      auto le = sv["last_exit"];
      if (!le.is_null()) ss.last_exit = std::string(std::string_view(le));
      out.services.push_back(std::move(ss));
    }
  } catch (const simdjson::simdjson_error&) {
    return std::nullopt;
  }
  return out;
}

std::string Status::service_state(const std::string& name) const {
  for (const auto& s : services)
    if (s.name == name) return s.state;
  return {};
}

ToolRun run_meganectl(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv{(bin_dir() / "meganectl").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto log = dir.path() / "meganectl.out";
  std::filesystem::remove(log);
  Process p(argv, log);
  auto st = p.wait(60s);
  ToolRun r;
  r.output = p.log_text();
  if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
  return r;
}

std::string Reply::error_message() const {
  proto::ErrorReply e;
  return proto::decode(payload, e) ? e.message : std::string("<malformed error>");
}

proto::ErrorCode Reply::error_code() const {
  proto::ErrorReply e;
  return proto::decode(payload, e) ? e.code : proto::ErrorCode::internal;
}

Client::Client(const fs::path& socket) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::hello_control() {
  proto::Hello h;
  h.role = proto::Role::control;
  h.client = "megane-tests";
  auto r = request(proto::MessageType::hello, proto::encode(h));
  return r && r->header.type == proto::MessageType::hello_ok;
}

void Client::send_raw(const proto::Bytes& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

void Client::send(proto::MessageType type, std::uint32_t request_id, proto::ByteView payload) {
  proto::Bytes b;
  proto::append_frame(b, type, 0, request_id, payload);
  send_raw(b);
}

std::optional<Reply> Client::read(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    proto::FrameView f;
    if (in_.next(f) == proto::HeaderStatus::ok) return Reply{f.header, proto::Bytes(f.payload.begin(), f.payload.end())};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || closed_) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    auto space = in_.prepare(4096);
    const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
    if (n <= 0) {
      closed_ = true;
      continue;
    }
    in_.commit(static_cast<std::size_t>(n));
  }
}

std::optional<Reply> Client::request(proto::MessageType type, proto::ByteView payload,
                                     std::chrono::milliseconds timeout) {
  const std::uint32_t id = next_id_++;
  send(type, id, payload);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto r = read(std::max(left, 0ms));
    if (!r) return r;
    if (r->header.request_id == id) return r;
    // Something else (a ping): answer it as a well-behaved peer does, then keep waiting.
    if (r->header.type == proto::MessageType::ping) {
      proto::Bytes b;
      proto::append_frame(b, proto::MessageType::pong, static_cast<std::uint16_t>(proto::FrameFlags::reply),
                          r->header.request_id, {});
      send_raw(b);
    }
  }
}

Daemon::Daemon(const TempDir& dir, const std::string& config_toml, const std::vector<std::string>& extra_env) {
  socket_ = dir.path() / "megane.sock";
  std::string text = replace_all(config_toml, "@SOCKET@", socket_.string());
  text = replace_all(text, "@BIN@", bin_dir().string());
  text = replace_all(text, "@FIXTURES@", fixtures_dir().string());
  text = replace_all(text, "@DIR@", dir.path().string());
  const fs::path config = dir.write("bot.toml", text);
  // As systemd's StateDirectory= would: the store's default path lands in the test's dir.
  std::vector<std::string> env{"STATE_DIRECTORY=" + dir.path().string()};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  process_ = std::make_unique<Process>(
      std::vector<std::string>{(bin_dir() / "meganed").string(), "--config", config.string()},
      dir.path() / "meganed.log", env);
  wait_until([&] { return fs::exists(socket_) || !process_->running(); }, 10s);
}

Daemon::~Daemon() {
  if (process_->running()) {
    process_->signal(SIGTERM);
    if (!process_->wait(20s)) process_->signal(SIGKILL);
  }
}

std::optional<Status> Daemon::status() {
  Client c(socket_);
  if (!c.connected() || !c.hello_control()) return std::nullopt;
  auto r = c.request(proto::MessageType::status);
  if (!r || r->is_error()) return std::nullopt;
  return parse_status(r->text());
}

std::optional<Status> Daemon::wait_all_ready(std::chrono::milliseconds timeout) {
  std::optional<Status> last;
  wait_until(
      [&] {
        last = status();
        return last && last->all_ready;
      },
      timeout);
  return last && last->all_ready ? last : std::nullopt;
}

bool alive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  const char state = line[close + 2];
  return state != 'Z' && state != 'X';
}

std::string proc_status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      auto v = line.substr(field.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return {};
}

std::vector<pid_t> processes_in_group(pid_t pgid) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    if (::getpgid(pid) == pgid && alive(pid)) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

std::string proc_environ(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void reap_orphans() {
  int st = 0;
  while (::waitpid(-1, &st, WNOHANG) > 0) {
  }
}

}  // namespace megane::test
