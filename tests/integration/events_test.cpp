// Events through the real meganed: to a control subscriber, to workers through the SDK, and
// through `meganectl events`.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/messages.hpp>
#include <simdjson.h>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;

namespace {

const char* config = R"(name = "events-test"
[bot]
executable = "@BIN@/megane-test-bot"
args = ["--all-events"]
[[services]]
name = "echo"
executable = "@BIN@/megane-test-service"
[sharding]
shards = 4
clusters = 2
[supervision]
backoff_initial = "100ms"
min_spawn_gap = "50ms"
[ipc]
socket = "@SOCKET@"
)";

bool valid_json(const std::string& text) {
  simdjson::dom::parser parser;
  return parser.parse(text).error() == simdjson::SUCCESS;
}

std::uint64_t now_unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// Sends subscribe and returns its request id; the reply is read by next_event().
std::uint32_t subscribe(Client& c, std::uint32_t mask) {
  const std::uint32_t id = 77;
  c.send(proto::MessageType::subscribe, id, proto::encode(proto::Subscribe{mask}));
  return id;
}

// The next event frame within `timeout`, skipping the (empty) subscribe reply. A subscribe
// error fails the test.
std::optional<proto::Event> next_event(Client& c, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto r = c.read(left);
    if (!r) return std::nullopt;
    if (r->header.has(proto::FrameFlags::reply)) {
      INFO(r->error_message());
      REQUIRE_FALSE(r->is_error());
      continue;
    }
    if (r->header.type != proto::MessageType::event) continue;
    proto::Event e;
    REQUIRE(proto::decode(r->payload, e));
    return e;
  }
}

// Reads events until one of `kind` arrives; every event read is appended to `seen`.
bool wait_event(Client& c, proto::EventKind kind, std::vector<proto::Event>& seen,
                std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto e = next_event(c, std::chrono::duration_cast<std::chrono::milliseconds>(
                               deadline - std::chrono::steady_clock::now()));
    if (!e) return false;
    seen.push_back(*e);
    if (e->kind == kind) return true;
  }
  return false;
}

pid_t service_pid(Daemon& d, const std::string& name) {
  Client c(d.socket());
  if (!c.hello_control()) return 0;
  auto r = c.request(proto::MessageType::status);
  if (!r || r->is_error()) return 0;
  try {
    simdjson::ondemand::parser parser;
    simdjson::padded_string json(r->text());
    auto doc = parser.iterate(json);
    for (auto s : doc["services"].get_array()) {
      if (std::string_view(s["name"]) != name) continue;
      if (std::string_view(s["state"]) != "ready") return 0;
      return static_cast<pid_t>(std::int64_t(s["pid"]));
    }
  } catch (const simdjson::simdjson_error&) {
  }
  return 0;
}

std::unique_ptr<Process> start_meganectl(const TempDir& dir, const Daemon& d,
                                         const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv{(bin_dir() / "meganectl").string(), "--socket", d.socket().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Process>(argv, dir.path() / log);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

int exit_code_of(std::optional<int> status) {
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

}  // namespace

TEST_CASE("kill -9 a cluster: subscribers see cluster_exited, then cluster_ready", "[integration][events]") {
  TempDir dir;
  Daemon d(dir, config);
  auto st = d.wait_all_ready();
  REQUIRE(st);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  subscribe(c, proto::all_events);
  std::vector<proto::Event> seen;
  // A late subscriber learns at once that everything was ready.
  REQUIRE(wait_event(c, proto::EventKind::all_clusters_ready, seen, 5s));

  const std::uint64_t before = now_unix_ms();
  ::kill(st->clusters[1].pid, SIGKILL);
  REQUIRE(wait_event(c, proto::EventKind::cluster_exited, seen));
  REQUIRE(wait_event(c, proto::EventKind::cluster_ready, seen));
  for (const proto::Event& e : seen) {
    INFO(proto::to_string(e.kind) << " " << e.json);
    CHECK(valid_json(e.json));
    CHECK(e.unix_ms + 60'000 > before);
    CHECK(e.unix_ms < now_unix_ms() + 60'000);
  }
  // all_clusters_ready is once per daemon start: the cluster coming back does not repeat it.
  std::vector<proto::Event> later;
  CHECK_FALSE(wait_event(c, proto::EventKind::all_clusters_ready, later, 500ms));

  // The other cluster heard about it through the SDK (the test bot logs every event).
  CHECK(wait_until([&] { return d.log().find("[cluster 0] event cluster_exited") != std::string::npos; }, 5s));
}

TEST_CASE("a subscriber gets only the kinds it asked for", "[integration][events]") {
  TempDir dir;
  Daemon d(dir, config);
  auto st = d.wait_all_ready();
  REQUIRE(st);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  subscribe(c, proto::event_bit(proto::EventKind::cluster_exited));
  ::kill(st->clusters[0].pid, SIGKILL);
  auto e = next_event(c, 10s);
  REQUIRE(e);
  CHECK(e->kind == proto::EventKind::cluster_exited);
  CHECK(e->json.find(R"("signal":9,)") != std::string::npos);
  CHECK(e->json.find(R"("code":)") == std::string::npos);
  REQUIRE(d.wait_all_ready());
  auto more = next_event(c, 500ms);
  CHECK_FALSE(more);  // no cluster_spawned, cluster_ready, all_clusters_ready

  // An exit with a status carries its code instead.
  Client ctl(d.socket());
  REQUIRE(ctl.hello_control());
  REQUIRE(ctl.request(proto::MessageType::cluster_command,
                      proto::encode(proto::ClusterCommand{proto::CommandTarget::cluster, 1, false, 0,
                                                          R"({"die_if_cluster":1})"})));
  auto exited = next_event(c, 10s);
  REQUIRE(exited);
  INFO(exited->json);
  CHECK(exited->json.find(R"("code":1,)") != std::string::npos);
  CHECK(exited->json.find(R"("signal":)") == std::string::npos);
}

TEST_CASE("workers get all_clusters_ready through the SDK", "[integration][events][sdk]") {
  TempDir dir;
  Daemon d(dir, config);
  REQUIRE(d.wait_all_ready());
  const bool heard = wait_until(
      [&] {
        const std::string log = d.log();
        return log.find("[cluster 0] all clusters ready (event)") != std::string::npos &&
               log.find("[cluster 1] all clusters ready (event)") != std::string::npos &&
               log.find("[service echo] all clusters ready (event)") != std::string::npos;
      },
      10s);
  INFO(d.log());
  CHECK(heard);
}

TEST_CASE("kill -9 a service: service_exited, then service_ready", "[integration][events]") {
  TempDir dir;
  Daemon d(dir, config);
  REQUIRE(d.wait_all_ready());
  pid_t pid = 0;
  REQUIRE(wait_until([&] { return (pid = service_pid(d, "echo")) > 0; }, 10s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  subscribe(c, proto::event_bit(proto::EventKind::service_exited) |
                   proto::event_bit(proto::EventKind::service_ready));
  // Let the subscription land before the kill: the reply comes first here, no event is due.
  auto nothing = next_event(c, 300ms);
  CHECK_FALSE(nothing);
  ::kill(pid, SIGKILL);
  std::vector<proto::Event> seen;
  REQUIRE(wait_event(c, proto::EventKind::service_exited, seen));
  REQUIRE(wait_event(c, proto::EventKind::service_ready, seen));
  CHECK(seen.front().kind == proto::EventKind::service_exited);
  CHECK(seen.front().json.find("echo") != std::string::npos);
}

TEST_CASE("meganectl events prints one line per event and exits 0 on SIGINT", "[integration][events][meganectl]") {
  TempDir dir;
  Daemon d(dir, config);
  auto st = d.wait_all_ready();
  REQUIRE(st);
  auto ctl = start_meganectl(dir, d, {"events"}, "events.out");
  REQUIRE(wait_until([&] { return ctl->log_text().find(" all_clusters_ready ") != std::string::npos; }, 10s));
  ::kill(st->clusters[0].pid, SIGKILL);
  REQUIRE(wait_until([&] { return ctl->log_text().find(" cluster_ready ") != std::string::npos; }, 20s));
  ctl->signal(SIGINT);
  CHECK(exit_code_of(ctl->wait(5s)) == 0);

  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [a-z_]+ \{.*\})");
  bool saw_exit = false;
  for (const std::string& l : lines_of(ctl->log_text())) {
    INFO(l);
    CHECK(std::regex_match(l, line));
    saw_exit = saw_exit || l.find(" cluster_exited {") != std::string::npos;
  }
  CHECK(saw_exit);
}

TEST_CASE("meganectl events --json --kind filters, one JSON object per line", "[integration][events][meganectl]") {
  TempDir dir;
  Daemon d(dir, config);
  auto st = d.wait_all_ready();
  REQUIRE(st);
  auto ctl = start_meganectl(dir, d, {"events", "--json", "--kind", "cluster_exited"}, "events.out");
  std::this_thread::sleep_for(500ms);  // let it subscribe
  ::kill(st->clusters[1].pid, SIGKILL);
  REQUIRE(wait_until([&] { return ctl->log_text().find("cluster_exited") != std::string::npos; }, 10s));
  REQUIRE(d.wait_all_ready());
  ctl->signal(SIGTERM);
  CHECK(exit_code_of(ctl->wait(5s)) == 0);
  const auto lines = lines_of(ctl->log_text());
  REQUIRE(lines.size() == 1);
  INFO(lines[0]);
  CHECK(valid_json(lines[0]));
  CHECK(lines[0].starts_with(R"({"kind":"cluster_exited","unix_ms":)"));
  CHECK(lines[0].find(R"("event":{)") != std::string::npos);
}

TEST_CASE("meganectl events exits 69 when the daemon goes away", "[integration][events][meganectl]") {
  TempDir dir;
  Daemon d(dir, config);
  REQUIRE(d.wait_all_ready());
  auto ctl = start_meganectl(dir, d, {"events", "--kind", "cluster_failed"}, "events.out");
  std::this_thread::sleep_for(500ms);
  CHECK(ctl->running());
  d.process().signal(SIGTERM);
  CHECK(exit_code_of(ctl->wait(30s)) == 69);
  CHECK(ctl->log_text().find("meganectl: events: ") != std::string::npos);
}
