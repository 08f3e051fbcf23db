// megane_bench_cluster: the near end of the command benchmark (bench/commands.sh). A real
// cluster worker that, once launched, sends service commands to the echo service
// (megane_bench_service) and times each round trip cluster -> meganed -> service -> meganed ->
// cluster, first with 1 command in flight, then with 64 kept outstanding. It writes one JSON
// line per (repetition, in-flight) to --out and exits with megane::do_not_restart, so meganed
// leaves it down and the driver script can stop meganed.
//
//   megane_bench_cluster --out FILE [--requests N] [--reps R] [--warmup W]
//                        [--in-flight K] [--pause-us P] [--service NAME] [--data JSON]
//
// --pause-us makes each in-flight slot wait P microseconds after a reply before it sends the
// next command: paced traffic, for measuring what meganed's busy polling costs when its idle
// gaps are longer than its spin (bench/busy_poll_cost.sh). Each line also carries meganed's
// CPU time per command (its main thread's, from /proc/PPID/schedstat: meganed is our parent).
//
// The results appear under FILE only once complete (written to FILE.part, then renamed), so
// the driver can poll for FILE.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <megane/sdk/cluster_worker.hpp>
#include <megane/sdk/exit_codes.hpp>
#include <megane/sdk/run.hpp>

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t wide_in_flight = 64;
constexpr auto service_wait = 30s;  // the service is spawned alongside us and may be slower

struct Options {
  std::string out;
  std::size_t requests = 50'000;
  std::size_t reps = 1;
  std::size_t warmup = 2'000;
  std::size_t in_flight = 0;  // 0: 1 and then 64 (profiling runs pick one)
  std::size_t pause_us = 0;   // between a reply and the slot's next command
  std::string service = "bench-echo";
  std::string data = R"({"op":"echo","seq":123456,"pad":"0123456789abcdef"})";
};

std::optional<std::size_t> parse_count(std::string_view s) {
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const std::string_view value = argv[i + 1];
    std::optional<std::size_t> n;
    if (key == "--out") {
      o.out = value;
      continue;
    }
    if (key == "--service") {
      o.service = value;
      continue;
    }
    if (key == "--data") {
      o.data = value;
      continue;
    }
    n = parse_count(value);
    if (!n) return std::nullopt;
    if (key == "--requests") o.requests = *n;
    else if (key == "--reps") o.reps = *n;
    else if (key == "--warmup") o.warmup = *n;
    else if (key == "--in-flight") o.in_flight = *n;
    else if (key == "--pause-us") o.pause_us = *n;
    else return std::nullopt;
  }
  if (argc % 2 == 0 || o.out.empty() || o.requests == 0 || o.reps == 0) return std::nullopt;
  return o;
}

std::vector<std::size_t> modes(const Options& o) {
  if (o.in_flight != 0) return {o.in_flight};
  return {1, wide_in_flight};
}

// Nearest-rank percentile of sorted values.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

// Error texts end up inside a JSON string: keep them free of characters that need escaping.
std::string json_safe(std::string text) {
  for (char& c : text) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '\'';
  }
  return text;
}

// One measured run: `total` round trips, `in_flight` at a time. Shared with the pumps so a
// stop in the middle (the launch coroutine cancelled) cannot leave them a dangling reference.
struct Run {
  explicit Run(asio::io_context& io, std::size_t total) : done(io), latency_ns(total) {
    done.expires_at(asio::steady_timer::time_point::max());
  }

  asio::steady_timer done;  // cancelled by the last pump to finish
  std::vector<std::int64_t> latency_ns;
  std::size_t next = 0;     // index of the next request to send
  std::size_t running = 0;  // pumps not finished yet
  std::size_t failures = 0;
  std::string first_error;
};

// CPU time meganed's main thread has used, in ns (first field of schedstat); -1 if unknown.
std::int64_t daemon_cpu_ns() {
  const std::string path = fmt::format("/proc/{}/schedstat", ::getppid());
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return -1;
  long long ns = -1;
  if (std::fscanf(f, "%lld", &ns) != 1) ns = -1;
  std::fclose(f);
  return ns;
}

struct Stats {
  double daemon_cpu_us_per_op = -1;
  double p50_us = 0;
  double p99_us = 0;
  double ops_s = 0;
  std::size_t failures = 0;
  std::string first_error;
};

class BenchCluster final : public megane::ClusterWorker {
 public:
  BenchCluster(megane::ClusterContext context, Options options)
      : ClusterWorker(std::move(context)), options_(std::move(options)) {}

  asio::awaitable<void> launch() override {
    // Ready at once: the benchmark runs inside launch(), which may take longer than the
    // ready timeout.
    report_ready();
    const int code = co_await run_all();
    request_stop(code);
  }

 private:
  asio::awaitable<int> run_all();
  asio::awaitable<std::string> wait_for_service();
  asio::awaitable<Stats> measure(std::size_t in_flight, std::size_t total);
  asio::awaitable<void> pump(std::shared_ptr<Run> run);
  bool write_results(const std::string& text);

  Options options_;
};

asio::awaitable<int> BenchCluster::run_all() {
  const std::string problem = co_await wait_for_service();
  if (!problem.empty()) {
    logger().error("benchmark not run: {}", problem);
    write_results(fmt::format("{{\"impl\":\"megane\",\"error\":\"{}\"}}\n", json_safe(problem)));
    co_return megane::do_not_restart;
  }
  // Warm-up: connection buffers, allocator pools and the daemon's maps reach steady state.
  co_await measure(wide_in_flight, options_.warmup);
  co_await measure(1, options_.warmup / 4);

  std::string lines;
  for (std::size_t rep = 0; rep < options_.reps; ++rep) {
    for (const std::size_t in_flight : modes(options_)) {
      const Stats s = co_await measure(in_flight, options_.requests);
      lines += fmt::format(
          "{{\"impl\":\"megane\",\"inflight\":{},\"rep\":{},\"requests\":{},\"p50_us\":{:.2f},"
          "\"p99_us\":{:.2f},\"ops_s\":{:.0f},\"pause_us\":{},\"daemon_cpu_us_per_op\":{:.2f},"
          "\"errors\":{},\"first_error\":\"{}\"}}\n",
          in_flight, rep, options_.requests, s.p50_us, s.p99_us, s.ops_s, options_.pause_us,
          s.daemon_cpu_us_per_op, s.failures, json_safe(s.first_error));
      logger().info("{} in flight: p50 {:.1f} us, p99 {:.1f} us, {:.0f} ops/s, {} errors", in_flight,
                    s.p50_us, s.p99_us, s.ops_s, s.failures);
    }
  }
  write_results(lines);
  co_return megane::do_not_restart;
}

// Empty when the service answers the benchmark's data with the same data; else why not.
asio::awaitable<std::string> BenchCluster::wait_for_service() {
  const auto give_up = Clock::now() + service_wait;
  asio::steady_timer pause(io());
  for (;;) {
    const megane::CommandReply reply =
        co_await send_service_command(options_.service, options_.data, {.timeout = 500ms});
    if (reply.ok()) {
      if (reply.data.text() != options_.data) {
        co_return fmt::format("service '{}' answered '{}', not an echo", options_.service,
                              reply.data.text());
      }
      co_return std::string();
    }
    // "Not connected yet" and a lost first command are worth waiting for; anything else is
    // a setup mistake. (A command that reaches a service together with its hello_ok is
    // dropped by the SDK today, so the first probe can time out.)
    const bool transient = reply.status == megane::CommandStatus::unavailable ||
                           reply.status == megane::CommandStatus::timeout;
    if (!transient || Clock::now() > give_up) {
      co_return fmt::format("service '{}' unreachable: {} ({})", options_.service, reply.message,
                            megane::to_string(reply.status));
    }
    if (reply.status == megane::CommandStatus::timeout) {
      logger().warn("probe of service '{}' timed out; retrying", options_.service);
    }
    pause.expires_after(20ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<Stats> BenchCluster::measure(std::size_t in_flight, std::size_t total) {
  auto run = std::make_shared<Run>(io(), total);
  run->running = std::min(in_flight, std::max<std::size_t>(total, 1));
  const std::int64_t cpu_before = daemon_cpu_ns();
  const auto start = Clock::now();
  for (std::size_t i = 0, n = run->running; i < n; ++i) {
    // Each pump starts inline and queues its first command before the next one starts, so
    // `in_flight` commands are outstanding from the first moment.
    asio::co_spawn(io(), pump(run), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        logger().error("benchmark pump failed: {}", ex.what());
      }
    });
  }
  if (run->running > 0) co_await run->done.async_wait(asio::as_tuple(asio::use_awaitable));
  const std::chrono::duration<double> wall = Clock::now() - start;
  const std::int64_t cpu_after = daemon_cpu_ns();

  Stats s;
  if (cpu_before >= 0 && cpu_after >= cpu_before && total > 0) {
    s.daemon_cpu_us_per_op = static_cast<double>(cpu_after - cpu_before) / 1e3 / static_cast<double>(total);
  }
  s.failures = run->failures;
  s.first_error = run->first_error;
  if (total == 0) co_return s;
  std::vector<std::int64_t>& ns = run->latency_ns;
  std::sort(ns.begin(), ns.end());
  s.p50_us = static_cast<double>(percentile(ns, 0.50)) / 1e3;
  s.p99_us = static_cast<double>(percentile(ns, 0.99)) / 1e3;
  s.ops_s = static_cast<double>(total) / wall.count();
  co_return s;
}

// Sends commands back to back until the run has sent `total`: with k pumps, k are in flight.
asio::awaitable<void> BenchCluster::pump(std::shared_ptr<Run> run) {
  asio::steady_timer pause(io());
  while (run->next < run->latency_ns.size()) {
    if (options_.pause_us > 0 && run->next >= run->running) {
      pause.expires_after(std::chrono::microseconds(options_.pause_us));
      co_await pause.async_wait(asio::use_awaitable);
      if (run->next >= run->latency_ns.size()) break;  // another slot sent the last one meanwhile
    }
    const std::size_t i = run->next++;
    const auto sent = Clock::now();
    const megane::CommandReply reply =
        co_await send_service_command(options_.service, options_.data, {.timeout = 5s});
    run->latency_ns[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sent).count();
    if (!reply.ok() && run->failures++ == 0) run->first_error = reply.message;
  }
  if (--run->running == 0) run->done.cancel();
}

bool BenchCluster::write_results(const std::string& text) {
  const std::string part = options_.out + ".part";
  std::FILE* f = std::fopen(part.c_str(), "w");
  if (f == nullptr) {
    logger().error("cannot write {}", part);
    return false;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  // The rename is what the driver waits for: it must see all lines or none.
  if (!written || !closed || std::rename(part.c_str(), options_.out.c_str()) != 0) {
    logger().error("cannot write {}", options_.out);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: megane_bench_cluster --out FILE [--requests N] [--reps R] [--warmup W] "
                 "[--in-flight K] [--pause-us P] [--service NAME] [--data JSON]\n");
    return megane::do_not_restart;
  }
  return megane::run<BenchCluster>(argc, argv, *options);
}
