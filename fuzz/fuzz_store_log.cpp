// Fuzz target: the store's start-up recovery (log_loader) on arbitrary bytes. The first input
// byte picks the modes: bit 0 set = fix every record's CRC before loading, so the fuzzer gets
// past the checksum into the payload parser (else the bytes as they are); bit 1 set = the
// bytes go through the real file path (load_log on a memfd opened by its /proc/self/fd path:
// open, mmap, truncate, nothing on disk), else straight to replay_log, the same parser without
// the file (half the inputs then cost no system call: mmap, munmap, open and truncate were
// most of this target's time). Invariants: a refused log leaves the store empty (and its file
// untouched); an accepted one reports its valid prefix (and the file is cut to exactly that),
// which loads again cleanly into the same store; and that store, written back as a compact log
// (what a rewrite does), loads into the same contents. The reloads run in memory.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include <zlib.h>

#include "store/log_loader.hpp"
#include "store/log_record.hpp"
#include "store/store.hpp"

namespace {

using namespace megane::daemon;

constexpr UnixMs now = 1'700'000'000'000;

struct MemFile {
  int fd = ::memfd_create("megane-fuzz-log", MFD_CLOEXEC);
  std::string path = "/proc/self/fd/" + std::to_string(fd);

  void replace(const std::string& bytes) const {
    if (::ftruncate(fd, 0) != 0) std::abort();
    if (!bytes.empty() && ::pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
      std::abort();
  }
  std::string contents() const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) std::abort();
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    if (!out.empty() && ::pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) std::abort();
    return out;
  }
};

std::uint32_t le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

// Rewrites the CRC of every record whose declared length fits in the file.
void fix_checksums(std::string& file) {
  std::size_t at = log_file_magic.size();
  while (file.size() >= at + log_record_header_bytes) {
    const std::uint32_t length = le32(file, at);
    if (length == 0 || length > file.size() - at - log_record_header_bytes) return;
    uLong crc = ::crc32(0L, Z_NULL, 0);
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(file.data() + at), 4);
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(file.data() + at + log_record_header_bytes), length);
    for (std::size_t i = 0; i < 4; ++i) file[at + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xffu);
    at += log_record_header_bytes + length;
  }
}

using Entries = std::vector<std::tuple<std::string, std::string, UnixMs>>;

Entries entries(const Store& store) {
  Entries out;
  store.visit({}, now, [&](std::string_view k, std::string_view v, UnixMs at) {
    out.emplace_back(std::string(k), std::string(v), at);
    return true;
  });
  return out;
}

const MemFile& file() {
  static const MemFile f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) fix_checksums(bytes);
  const bool through_file = (data[0] & 2) != 0;
  const std::string name = "fuzz.log";

  Store store;
  LogLoadResult r;
  std::string after;  // the log as recovery left it
  if (through_file) {
    const MemFile& f = file();
    f.replace(bytes);
    r = load_log(f.path, store, now);
    after = f.contents();
  } else {
    r = replay_log(bytes, name, store, now);
    after = bytes.substr(0, r.ok ? r.size : bytes.size());
  }
  if (!r.ok) {
    if (r.error.empty() || after != bytes || store.size() != 0) std::abort();
    return 0;
  }
  if (r.size != after.size() || bytes.compare(0, after.size(), after) != 0) std::abort();
  if (r.warning.empty() != (after.size() == bytes.size())) std::abort();

  // Loading what recovery left must be clean and give the same store.
  Store again;
  const LogLoadResult r2 = replay_log(after, name, again, now);
  if (!r2.ok || !r2.warning.empty() || r2.records != r.records || entries(again) != entries(store)) std::abort();

  // The store written back as a compact log (one Set per live key) loads to the same contents.
  std::string compact(log_file_magic);
  const Entries live = entries(store);
  for (const auto& [k, v, at] : live)
    if (!encode_set(k, v, at, compact)) std::abort();
  Store reloaded;
  const LogLoadResult r3 = replay_log(compact, name, reloaded, now);
  if (!r3.ok || !r3.warning.empty() || entries(reloaded) != live) std::abort();
  return 0;
}
