// Writing a cache snapshot (snapshot.hpp): the cache's own Discord-shaped JSON (json_write.cpp)
// as GUILD_CREATE lines, into a temporary file that replaces the old one only once it is
// complete and on disk.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iterator>
#include <unordered_set>

#include <fmt/format.h>

#include "snapshot.hpp"

namespace megane::cache {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Written in pieces of about this size: the deadline and the size bound are checked between them.
constexpr std::size_t chunk_bytes = 1u << 20;

std::string errno_text(std::string_view what, const fs::path& path) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(errno));
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

void header_line(std::string& out, const SnapshotHeader& h, std::size_t guilds) {
  fmt::format_to(std::back_inserter(out), R"({{"megane_cache_snapshot":{},"cluster":{},"total_shards":{},"written_at":"{}","shards":[)",
                 snapshot_version, h.cluster_id, h.total_shards, utc_now());
  for (std::size_t i = 0; i < h.shards.size(); ++i) {
    const SnapshotShard& s = h.shards[i];
    fmt::format_to(std::back_inserter(out), R"({}{{"shard":{},"session":"{:016x}","seq":{}}})", i ? "," : "",
                   s.shard_id, s.session, s.seq);
  }
  fmt::format_to(std::back_inserter(out), R"(],"guilds":{}}})", guilds);
  out.push_back('\n');
}

// Closes the descriptor and removes the temporary file unless the snapshot was committed.
class TempFile {
 public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool open() {
    ::unlink(path_.c_str());  // a leftover of a process killed mid-write
    // O_EXCL | O_NOFOLLOW: never write through a link someone else put here. 0600: the
    // snapshot holds member lists.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    return fd_ >= 0;
  }
  int fd() const noexcept { return fd_; }
  const fs::path& path() const noexcept { return path_; }
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void committed() noexcept { committed_ = true; }

 private:
  fs::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

std::uint64_t session_fingerprint(std::string_view session_id) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : session_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

SnapshotWritten write_snapshot(const Cache& cache, const SnapshotHeader& header, const fs::path& file,
                               std::uint64_t max_bytes, Clock::time_point deadline) {
  SnapshotWritten result;
  std::unordered_set<std::uint32_t> shards;
  for (const SnapshotShard& s : header.shards) shards.insert(s.shard_id);
  std::vector<std::uint64_t> guilds;
  cache.for_each_guild([&](const CachedGuild& g) {
    if (shards.contains(shard_of(g.id, header.total_shards))) guilds.push_back(g.id);
  });
  std::sort(guilds.begin(), guilds.end());  // the same cache, the same file

  TempFile temp(fs::path(file) += ".tmp");
  if (!temp.open()) {
    result.error = errno_text("cannot create", temp.path());
    return result;
  }
  std::string out;
  out.reserve(chunk_bytes + (64u << 10));
  header_line(out, header, guilds.size());
  if (const CachedUser* self = cache.user(cache.self_id())) {
    // READY-shaped: the bot's own user, which a RESUME does not send again.
    out.append(R"({"t":"READY","d":{"user":)");
    out.append(cache.user_json(self->id).value_or("null"));
    out.append(R"(,"guilds":[]}})");
    out.push_back('\n');
  }
  auto flush = [&]() -> bool {
    result.bytes += out.size();
    if (result.bytes > max_bytes) {
      result.error = fmt::format("larger than the limit of {} bytes", max_bytes);
      return false;
    }
    if (Clock::now() >= deadline) {
      result.error = "the stop deadline came first";
      return false;
    }
    if (!write_all(temp.fd(), out)) {
      result.error = errno_text("cannot write", temp.path());
      return false;
    }
    out.clear();
    return true;
  };
  for (const std::uint64_t id : guilds) {
    const std::optional<std::string> json = cache.guild_json(id, /*include_members=*/true);
    if (!json) continue;
    out.append(R"({"t":"GUILD_CREATE","d":)");
    out.append(*json);
    out.append("}\n");
    ++result.guilds;
    if (out.size() >= chunk_bytes && !flush()) return result;
  }
  if (!flush()) return result;
  if (::fsync(temp.fd()) != 0) {
    result.error = errno_text("cannot fsync", temp.path());
    return result;
  }
  if (!temp.close()) {
    result.error = errno_text("cannot close", temp.path());
    return result;
  }
  if (::rename(temp.path().c_str(), file.c_str()) != 0) {
    result.error = errno_text("cannot rename to", file);
    return result;
  }
  temp.committed();
  // The rename itself must reach the disk too, or a power loss could bring back the old file.
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  result.ok = true;
  return result;
}

}  // namespace megane::cache
