// The bot token as a canary: meganed, fakecord, the example bot and service run with a token
// nobody else uses, everything at trace level, and the token must show up nowhere an operator
// or another process could read it: meganed's output (its log and every child's, which inherit
// its stderr), the command line and environment of every process meganed started, meganectl's
// status and stats, /metrics and /healthz, and the errors of a fatal close (4004) and of a
// /gateway/bot that fails in every way (HTTP 500, not JSON, wrong JSON, 401) while echoing the
// request, Authorization header included, back at meganed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"
#include "http_get.hpp"

using namespace megane::test;

namespace {

// Distinctive enough that no other text contains it by chance.
constexpr const char* canary = "CANARY.b7e4d1.token-9f27c3a0";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every place checked, with what it held, so a failure says where the token leaked.
struct Sweep {
  std::vector<std::pair<std::string, std::string>> places;
  void add(std::string where, std::string text) { places.emplace_back(std::move(where), std::move(text)); }
  void check() const {
    for (const auto& [where, text] : places) {
      INFO(where << ":\n" << text);
      CHECK(text.find(canary) == std::string::npos);
    }
  }
};

// The /proc views of every process in the process group of each child meganed started.
void add_children(Sweep& sweep, const Status& st) {
  std::vector<pid_t> leaders;
  for (const auto& c : st.clusters) leaders.push_back(c.pid);
  for (const auto& s : st.services) leaders.push_back(s.pid);
  for (const pid_t leader : leaders) {
    if (leader <= 0) continue;  // not running (a cluster stopped for good after 4004)
    for (const pid_t p : processes_in_group(leader)) {
      const std::string environ = proc_environ(p);
      const fs::path proc = fs::path("/proc") / std::to_string(p);
      std::string cmdline = slurp(proc / "cmdline");
      // A process on its way out has no memory left, so its cmdline reads empty until it is a
      // zombie: give it a moment before calling an empty cmdline unreadable.
      for (int i = 0; cmdline.empty() && alive(p) && i < 40; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        cmdline = slurp(proc / "cmdline");
      }
      if (cmdline.empty() && !alive(p)) continue;  // exited meanwhile (e.g. after the 4004)
      REQUIRE_FALSE(cmdline.empty());  // readable: the check below means something
      sweep.add("/proc/" + std::to_string(p) + "/cmdline", cmdline);
      sweep.add("/proc/" + std::to_string(p) + "/environ", environ);
    }
  }
}

std::string config(const Fakecord& fc, const std::string& token_line, std::uint16_t metrics_port) {
  return "name = \"canary\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-example-cluster\"\n"
         "env = { EXAMPLE_SERVICE = \"example-service\", SPDLOG_LEVEL = \"trace\" }\n"
         "[[services]]\n"
         "name = \"example-service\"\n"
         "executable = \"@BIN@/megane-example-service\"\n"
         "env = { SPDLOG_LEVEL = \"trace\" }\n"
         "[sharding]\n"
         "shards = 2\n"
         "clusters = 2\n"
         "[gateway]\n" + token_line +
         "gateway_url = \"" + fc.gateway_url() + "\"\n"
         "api_url = \"" + fc.api_url() + "\"\n"
         "identify_window = \"100ms\"\n"
         "[stats]\n"
         "interval = \"300ms\"\n"
         "[metrics]\n"
         "listen = \"127.0.0.1:" + std::to_string(metrics_port) + "\"\n"
         "[log]\n"
         "level = \"trace\"\n"
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n";
}

// Runs the whole bot with the canary as its token (from a file or the environment) and
// sweeps everything readable, before and after a fatal 4004 close.
void run_canary(bool from_env) {
  Fakecord fc({"--identify-window-ms", "100"}, canary);
  TempDir dir;
  const std::uint16_t port = free_port();
  const std::string token_line =
      from_env ? "token_env = \"CANARY_BOT_TOKEN\"\n" : "token_file = \"" + fc.token_file.string() + "\"\n";
  std::vector<std::string> env;
  if (from_env) env.push_back(std::string("CANARY_BOT_TOKEN=") + canary);
  Daemon d(dir, config(fc, token_line, port), env);
  auto st = d.wait_all_ready(60s);
  INFO(d.log());
  REQUIRE(st);
  REQUIRE(st->services.size() == 1);
  // The token worked: both shards identified with it.
  REQUIRE(fc.stat("identifies", "total") == 2);

  Sweep sweep;
  for (const auto& c : st->clusters) REQUIRE(c.pid > 0);
  for (const auto& sv : st->services) REQUIRE(sv.pid > 0);
  add_children(sweep, *st);
  // meganed itself: with token_env the variable is gone from what /proc shows, too.
  sweep.add("meganed /proc/PID/environ", proc_environ(d.process().pid()));
  sweep.add("meganed /proc/PID/cmdline", slurp(fs::path("/proc") / std::to_string(d.process().pid()) / "cmdline"));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"status", "--json"}, {"status", "--shards"},
        {"stats", "--json"}, {"stats"}}) {
    std::vector<std::string> argv = {"--socket", d.socket().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const ToolRun r = run_meganectl(dir, argv);
    std::string label = "meganectl";
    for (const auto& a : args) label += " " + a;
    INFO(label << ": " << r.output);
    CHECK(r.exit_code == 0);
    sweep.add(label, r.output);
  }
  // Stats and metrics once workers have reported (a second interval at least).
  std::string metrics;
  REQUIRE(wait_until([&] {
    auto r = http_get(port, "/metrics");
    metrics = r ? r->body : "";
    return metrics.find("megane_shard_up{") != std::string::npos;
  }, 10s));
  sweep.add("/metrics", metrics);
  if (auto h = http_get(port, "/healthz")) sweep.add("/healthz", h->body);

  // A fatal close: Discord says the token is wrong. The shard gives up, meganed logs why.
  fc.control("/fault", R"({"shard":0,"kind":"close","code":4004})");
  const bool logged = wait_until([&] { return d.log().find("4004") != std::string::npos; }, 15s);
  CHECK(logged);
  if (auto st2 = d.status()) add_children(sweep, *st2);
  const ToolRun after = run_meganectl(dir, {"--socket", d.socket().string(), "status", "--shards", "--json"});
  sweep.add("meganectl status after 4004", after.output);
  d.process().signal(SIGTERM);
  d.process().wait(20s);
  const std::string log = d.log();
  // The output swept holds the children's too (they write to meganed's stderr), at trace.
  CHECK(log.find("bot 'canary', cluster 0") != std::string::npos);
  CHECK(log.find("service 'example-service' of bot 'canary' started") != std::string::npos);
  sweep.add("meganed's output (its log and its children's)", log);
  sweep.add("fakecord's log", fc.proc->log_text());
  sweep.check();
}

// A /gateway/bot that answers each request with `answers[i]`, its body the request as received
// (request line and headers, the token among them), as a broken proxy might.
class EchoingApi {
 public:
  explicit EchoingApi(std::vector<std::string> statuses) : statuses_(std::move(statuses)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(fd_, 8) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoingApi() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int served() const { return served_.load(); }
  bool saw_token() const { return saw_token_.load(); }

 private:
  void serve() {
    for (const std::string& status : statuses_) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      if (request.find(canary) != std::string::npos) saw_token_ = true;
      std::string body;
      if (status == "200 wrong-json") {
        // Valid JSON whose values are the request: the token sits in "url" and "shards".
        std::string escaped;
        for (char ch : request) escaped += (ch == '"' || ch == '\\') ? ' ' : (ch == '\r' || ch == '\n') ? ' ' : ch;
        body = "{\"url\":\"" + escaped + "\",\"shards\":\"" + escaped + "\",\"session_start_limit\":{\"total\":\"" +
               escaped + "\"}}";
      } else {
        body = request;
      }
      const std::string code = status.substr(0, 3);
      const std::string reply = "HTTP/1.1 " + code + " Echo " + request.substr(0, 40) +
                                "\r\nContent-Type: application/json\r\nX-Echo: " + escaped_line(request) +
                                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      [[maybe_unused]] const ssize_t w = ::write(c, reply.data(), reply.size());
      ::close(c);
      ++served_;
    }
  }
  static std::string escaped_line(const std::string& s) {
    std::string out;
    for (char ch : s) out += (ch == '\r' || ch == '\n') ? ' ' : ch;
    return out;
  }

  std::vector<std::string> statuses_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> served_{0};
  std::atomic<bool> saw_token_{false};
};

}  // namespace

TEST_CASE("secrets: a canary token from token_file is in no log or /proc file or status or stats or metrics or error",
          "[integration][gateway][secrets]") {
  run_canary(false);
}

TEST_CASE("secrets: a canary token from token_env is in no log or /proc file or status or stats or metrics or error",
          "[integration][gateway][secrets]") {
  run_canary(true);
}

TEST_CASE("secrets: /gateway/bot failing while echoing the request never puts the token in meganed's errors",
          "[integration][gateway][secrets]") {
  // Each answer carries the request back (status line, a header and the body): 500, then a
  // 200 that is not JSON, then a 200 with the wrong JSON types, then 401, which stops meganed.
  EchoingApi api({"500", "200 not-json", "200 wrong-json", "401"});
  TempDir dir;
  const fs::path token = dir.write("token", canary);
  ::chmod(token.c_str(), 0600);
  Daemon d(dir, "name = \"canary\"\n"
                "[bot]\nexecutable = \"@BIN@/megane-example-cluster\"\n"
                "[sharding]\nshards = \"auto\"\n"
                "[gateway]\ntoken_file = \"" + token.string() + "\"\n"
                "api_url = \"http://127.0.0.1:" + std::to_string(api.port()) + "/api/v10\"\n"
                "[log]\nlevel = \"trace\"\n"
                "[ipc]\nsocket = \"@SOCKET@\"\n");
  auto status = d.process().wait(60s);
  const std::string log = d.log();
  INFO(log);
  REQUIRE(status);
  REQUIRE(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 78);  // the 401
  CHECK(api.served() == 4);
  CHECK(api.saw_token());  // the token was sent, and so echoed back each time
  // Each failure was reported (the check below would pass on a silent daemon otherwise).
  CHECK(log.find("HTTP 500") != std::string::npos);
  CHECK(log.find("not JSON") != std::string::npos);
  CHECK(log.find("(401)") != std::string::npos);
  CHECK(log.find(canary) == std::string::npos);
}
