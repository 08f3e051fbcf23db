#include "stats/proc_sampler.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string>

#include <fmt/format.h>

namespace megane::daemon {
namespace {

// /proc files are small and generated on read: one read() of a page-sized buffer holds them.
std::optional<std::string> read_small(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  return std::string(buffer, static_cast<std::size_t>(n));
}

// The next space-separated field of `text` from `pos` as an unsigned number.
std::optional<std::uint64_t> next_number(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
  if (ec != std::errc{}) return std::nullopt;
  pos = static_cast<std::size_t>(end - text.data());
  return value;
}

void skip_field(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  while (pos < text.size() && text[pos] != ' ') ++pos;
}

}  // namespace

std::optional<std::uint64_t> parse_stat_cpu_ticks(std::string_view stat) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After "pid (comm)": field 3 is the state; utime and stime are fields 14 and 15.
  std::size_t pos = close + 1;
  for (int field = 3; field <= 13; ++field) skip_field(stat, pos);
  const auto utime = next_number(stat, pos);
  const auto stime = next_number(stat, pos);
  if (!utime || !stime) return std::nullopt;
  return *utime + *stime;
}

std::optional<std::uint64_t> parse_statm_resident_pages(std::string_view statm) {
  std::size_t pos = 0;
  if (!next_number(statm, pos)) return std::nullopt;  // size
  return next_number(statm, pos);
}

std::optional<ProcSample> sample_process(pid_t pid) {
  const auto stat = read_small(fmt::format("/proc/{}/stat", pid));
  const auto statm = read_small(fmt::format("/proc/{}/statm", pid));
  if (!stat || !statm) return std::nullopt;
  const auto ticks = parse_stat_cpu_ticks(*stat);
  const auto pages = parse_statm_resident_pages(*statm);
  if (!ticks || !pages) return std::nullopt;
  static const auto page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return ProcSample{*ticks, *pages * page_size};
}

double clock_ticks_per_second() {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return ticks > 0 ? ticks : 100.0;
}

double cpu_percent(std::uint64_t ticks_before, std::uint64_t ticks_now, double seconds, double ticks_per_second) {
  if (seconds <= 0 || ticks_now < ticks_before) return 0.0;
  return 100.0 * static_cast<double>(ticks_now - ticks_before) / ticks_per_second / seconds;
}

double CpuMeter::update(pid_t pid, std::uint64_t ticks, Clock::time_point now, Clock::time_point spawned_at) {
  if (pid != pid_) {
    pid_ = pid;
    ticks_ = 0;
    at_ = spawned_at;
  }
  const double seconds = std::chrono::duration<double>(now - at_).count();
  const double percent = cpu_percent(ticks_, ticks, seconds, clock_ticks_per_second());
  ticks_ = ticks;
  at_ = now;
  return percent;
}

}  // namespace megane::daemon
