// megane_two_hop_floor: the floor for the command benchmark (bench/commands.sh). The same
// route as a service command, client -> relay -> echo -> relay -> client, over Unix stream
// sockets between three processes, with the same frames (proto's codec, the same payload
// bytes) and nothing else: no routing table, no coroutines, no timers, no per-request
// allocation. Whatever megane measures above this is the cost of meganed and the SDK.
//
//   megane_two_hop_floor [--requests N] [--reps R] [--warmup W] [--in-flight K] [--data JSON]
//                        [--client-cpu N]
//
// Prints one JSON line per (repetition, in-flight) on stdout, like megane_bench_cluster.
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/frame.hpp>

namespace {

namespace proto = megane::proto;
using Clock = std::chrono::steady_clock;

constexpr std::size_t wide_in_flight = 64;
constexpr auto reply_flag = static_cast<std::uint16_t>(proto::FrameFlags::reply);

struct Options {
  std::size_t requests = 50'000;
  std::size_t reps = 1;
  std::size_t warmup = 2'000;
  std::size_t in_flight = 0;  // 0: 1 and then 64 (profiling runs pick one)
  // Pins the client (only) to this CPU, as meganed pins a cluster: the floor then crosses
  // CPUs where megane does. -1: no pinning.
  long client_cpu = -1;
  std::string data = R"({"op":"echo","seq":123456,"pad":"0123456789abcdef"})";
};

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  if (argc % 2 == 0) return std::nullopt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const std::string_view value = argv[i + 1];
    if (key == "--data") {
      o.data = value;
      continue;
    }
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
    if (key == "--requests") o.requests = n;
    else if (key == "--reps") o.reps = n;
    else if (key == "--warmup") o.warmup = n;
    else if (key == "--in-flight") o.in_flight = n;
    else if (key == "--client-cpu" && n < CPU_SETSIZE) o.client_cpu = static_cast<long>(n);
    else return std::nullopt;
  }
  if (o.requests == 0 || o.reps == 0) return std::nullopt;
  return o;
}

std::vector<std::size_t> modes(const Options& o) {
  if (o.in_flight != 0) return {o.in_flight};
  return {1, wide_in_flight};
}

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::_Exit(1);
}

void write_all(int fd, const proto::Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("write");
    done += static_cast<std::size_t>(n);
  }
}

// Reads once into the assembler (blocking fd). False on end of stream.
bool read_some(int fd, proto::FrameAssembler& in) {
  for (;;) {
    auto space = in.prepare();
    const ssize_t n = ::read(fd, space.data(), space.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) return false;
    in.commit(static_cast<std::size_t>(n));
    return true;
  }
}

// The echo process: answers every frame with the command's data, as the service does.
[[noreturn]] void echo_main(int fd) {
  proto::FrameAssembler in;
  proto::Bytes out;
  proto::ServiceCommand cmd;
  while (read_some(fd, in)) {
    proto::FrameView f;
    proto::HeaderStatus st;
    while ((st = in.next(f)) == proto::HeaderStatus::ok) {
      if (!proto::decode(f.payload, cmd)) die("echo: undecodable command");
      const auto* data = reinterpret_cast<const std::uint8_t*>(cmd.data.data());
      proto::append_frame(out, proto::MessageType::command_result, reply_flag, f.header.request_id,
                          {data, cmd.data.size()});
    }
    if (st != proto::HeaderStatus::need_more) die("echo: bad frame");
    write_all(fd, out);
    out.clear();
  }
  std::_Exit(0);
}

// One side of the relay: its socket, what came in, and what waits to go out to it.
struct Side {
  int fd = -1;
  proto::FrameAssembler in;
  proto::Bytes out;
  std::size_t written = 0;
};

// Reads everything available on `from` and queues each frame to `to`, re-framed as the
// daemon does (new header, same payload). False on end of stream.
bool relay_in(Side& from, Side& to, proto::MessageType type, std::uint16_t flags) {
  for (;;) {
    auto space = from.in.prepare();
    const ssize_t n = ::read(from.fd, space.data(), space.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) die("relay read");
    if (n == 0) return false;
    from.in.commit(static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < space.size()) break;  // drained: skip the EAGAIN read
  }
  proto::FrameView f;
  proto::HeaderStatus st;
  while ((st = from.in.next(f)) == proto::HeaderStatus::ok) {
    proto::append_frame(to.out, type, flags, f.header.request_id, f.payload);
  }
  if (st != proto::HeaderStatus::need_more) die("relay: bad frame");
  return true;
}

void relay_out(Side& side) {
  while (side.written < side.out.size()) {
    const ssize_t n = ::write(side.fd, side.out.data() + side.written, side.out.size() - side.written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // poll tells us when
    if (n < 0) die("relay write");
    side.written += static_cast<std::size_t>(n);
  }
  side.out.clear();
  side.written = 0;
}

// The relay process (meganed's place): one poll loop over both sockets, all writes of one
// wake-up gathered into one write per socket, as a daemon that batches would.
[[noreturn]] void relay_main(int client_fd, int echo_fd) {
  Side client, echo;
  client.fd = client_fd;
  echo.fd = echo_fd;
  for (int fd : {client_fd, echo_fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  for (;;) {
    constexpr auto in_only = static_cast<short>(POLLIN);
    constexpr auto in_out = static_cast<short>(POLLIN | POLLOUT);
    pollfd p[2] = {{client.fd, client.out.empty() ? in_only : in_out, 0},
                   {echo.fd, echo.out.empty() ? in_only : in_out, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if ((p[0].revents & (POLLIN | POLLHUP)) != 0 &&
        !relay_in(client, echo, proto::MessageType::command_deliver, 0)) {
      std::_Exit(0);  // the client is done: closing our end of echo's socket stops it too
    }
    if ((p[1].revents & (POLLIN | POLLHUP)) != 0 &&
        !relay_in(echo, client, proto::MessageType::service_command, reply_flag)) {
      std::_Exit(1);
    }
    if (!echo.out.empty()) relay_out(echo);
    if (!client.out.empty()) relay_out(client);
  }
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

struct Stats {
  double p50_us = 0;
  double p99_us = 0;
  double ops_s = 0;
};

// `total` round trips with `in_flight` outstanding: each reply sends the next request; all
// requests queued while handling one read go out in one write.
Stats measure(int fd, proto::FrameAssembler& in, const proto::Bytes& payload, std::size_t in_flight,
              std::size_t total) {
  std::vector<Clock::time_point> sent_at(total);
  std::vector<std::int64_t> ns(total);
  proto::Bytes out;
  std::size_t next = 0;
  std::size_t done = 0;
  auto queue_one = [&] {
    const std::size_t i = next++;
    sent_at[i] = Clock::now();
    proto::append_frame(out, proto::MessageType::service_command, 0, static_cast<std::uint32_t>(i + 1),
                        payload);
  };
  const auto start = Clock::now();
  while (next < std::min(in_flight, total)) queue_one();
  write_all(fd, out);
  out.clear();
  while (done < total) {
    if (!read_some(fd, in)) die("client: relay closed");
    proto::FrameView f;
    proto::HeaderStatus st;
    while ((st = in.next(f)) == proto::HeaderStatus::ok) {
      const std::size_t i = f.header.request_id - 1;
      if (i >= total) die("client: unknown request id");
      ns[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sent_at[i]).count();
      ++done;
      if (next < total) queue_one();
    }
    if (st != proto::HeaderStatus::need_more) die("client: bad frame");
    if (!out.empty()) {
      write_all(fd, out);
      out.clear();
    }
  }
  const std::chrono::duration<double> wall = Clock::now() - start;
  Stats s;
  if (total == 0) return s;
  std::sort(ns.begin(), ns.end());
  s.p50_us = static_cast<double>(percentile(ns, 0.50)) / 1e3;
  s.p99_us = static_cast<double>(percentile(ns, 0.99)) / 1e3;
  s.ops_s = static_cast<double>(total) / wall.count();
  return s;
}

pid_t spawn(auto&& body) {
  const pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the client
    body();
  }
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "usage: megane_two_hop_floor [--requests N] [--reps R] [--warmup W] "
                         "[--in-flight K] [--data JSON] [--client-cpu N]\n");
    return 2;
  }
  int client_relay[2];
  int relay_echo[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, client_relay) != 0 ||
      ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, relay_echo) != 0) {
    die("socketpair");
  }
  const pid_t echo = spawn([&] {
    ::close(client_relay[0]);
    ::close(client_relay[1]);
    ::close(relay_echo[0]);
    echo_main(relay_echo[1]);
  });
  const pid_t relay = spawn([&] {
    ::close(client_relay[0]);
    ::close(relay_echo[1]);
    relay_main(client_relay[1], relay_echo[0]);
  });
  ::close(client_relay[1]);
  ::close(relay_echo[0]);
  ::close(relay_echo[1]);
  const int fd = client_relay[0];
  if (options->client_cpu >= 0) {
    // After the forks: the relay and the echo stay free to run anywhere, like meganed and a
    // service, while the client sits where meganed would pin the cluster.
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<int>(options->client_cpu), &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
  }

  // The same bytes a cluster sends for send_service_command("bench-echo", data).
  const proto::Bytes payload =
      proto::encode(proto::ServiceCommand{"bench-echo", true, 0, options->data});
  proto::FrameAssembler in;
  measure(fd, in, payload, wide_in_flight, options->warmup);
  measure(fd, in, payload, 1, options->warmup / 4);
  for (std::size_t rep = 0; rep < options->reps; ++rep) {
    for (const std::size_t in_flight : modes(*options)) {
      const Stats s = measure(fd, in, payload, in_flight, options->requests);
      std::printf("%s\n", fmt::format("{{\"impl\":\"floor\",\"inflight\":{},\"rep\":{},\"requests\":{},"
                                      "\"p50_us\":{:.2f},\"p99_us\":{:.2f},\"ops_s\":{:.0f},\"errors\":0}}",
                                      in_flight, rep, options->requests, s.p50_us, s.p99_us, s.ops_s)
                              .c_str());
      std::fflush(stdout);
    }
  }
  ::close(fd);
  int status = 0;
  ::waitpid(relay, &status, 0);
  ::waitpid(echo, &status, 0);
  return 0;
}
