#include "cpu_set.hpp"

#include <sched.h>

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

namespace megane::daemon {

// Grows the set for machines with more CPUs than cpu_set_t holds; empty if the kernel will
// not say.
std::vector<int> allowed_cpus() {
  for (int count = CPU_SETSIZE; count <= (1 << 16); count *= 2) {
    cpu_set_t* set = CPU_ALLOC(count);
    if (!set) return {};
    const std::size_t size = CPU_ALLOC_SIZE(count);
    CPU_ZERO_S(size, set);
    if (::sched_getaffinity(0, size, set) == 0) {
      std::vector<int> cpus;
      for (int cpu = 0; cpu < count; ++cpu)
        if (CPU_ISSET_S(cpu, size, set)) cpus.push_back(cpu);
      CPU_FREE(set);
      return cpus;
    }
    const int saved = errno;
    CPU_FREE(set);
    if (saved != EINVAL) break;
  }
  return {};
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) ++p;
  while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n')) --end;
  while (p < end) {
    int lo = 0;
    auto r = std::from_chars(p, end, lo);
    if (r.ec != std::errc{}) return {};
    p = r.ptr;
    int hi = lo;
    if (p < end && *p == '-') {
      r = std::from_chars(p + 1, end, hi);
      if (r.ec != std::errc{} || hi < lo) return {};
      p = r.ptr;
    }
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    if (p < end) {
      if (*p != ',') return {};
      ++p;
    }
  }
  return cpus;
}

}  // namespace megane::daemon
