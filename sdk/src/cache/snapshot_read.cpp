// Reading a cache snapshot (snapshot.hpp) back into a cache: the header decides which shards'
// guilds are taken, then every line goes through Cache::apply as the dispatch it names. The
// file is mapped, not read into memory: one line at a time is copied into the parser.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

#include "json_read.hpp"
#include "snapshot.hpp"

namespace megane::cache {
namespace {

namespace fs = std::filesystem;
using Outcome = SnapshotLoaded::Outcome;

class MappedFile {
 public:
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  // False with errno set, or with `problem` filled for a file that is there but unusable.
  bool open(const fs::path& path, std::uint64_t max_bytes, std::string& problem) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) return false;
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return false;
    if (!S_ISREG(st.st_mode)) {
      problem = "not a regular file";
      return false;
    }
    if (st.st_uid != ::geteuid()) {
      problem = fmt::format("owned by uid {}, not by this process's", st.st_uid);
      return false;
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
      problem = fmt::format("{} bytes, over the limit of {}", st.st_size, max_bytes);
      return false;
    }
    if (size_ == 0) {
      problem = "empty";
      return false;
    }
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) return false;
    data_ = p;
    ::madvise(data_, size_, MADV_SEQUENTIAL);
    return true;
  }
  std::string_view text() const noexcept { return {static_cast<const char*>(data_), size_}; }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// The next '\n'-terminated line; false at the end. A last line without '\n' is a cut file.
bool next_line(std::string_view& rest, std::string_view& line, bool& cut) {
  if (rest.empty()) return false;
  const std::size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) {
    cut = true;
    return false;
  }
  line = rest.substr(0, nl);
  rest.remove_prefix(nl + 1);
  return true;
}

bool read_header(simdjson::dom::element doc, SnapshotHeader& h, std::uint64_t& guilds, std::string& why) {
  std::uint64_t version = 0, cluster = 0, total = 0;
  simdjson::dom::array shards;
  if (doc["megane_cache_snapshot"].get(version) != simdjson::SUCCESS) {
    why = "the first line is not a megane cache snapshot header";
    return false;
  }
  if (version != snapshot_version) {
    why = fmt::format("snapshot version {}, this SDK reads {}", version, snapshot_version);
    return false;
  }
  if (doc["cluster"].get(cluster) != simdjson::SUCCESS || doc["total_shards"].get(total) != simdjson::SUCCESS ||
      doc["guilds"].get(guilds) != simdjson::SUCCESS || doc["shards"].get(shards) != simdjson::SUCCESS) {
    why = "the header lacks cluster, total_shards, shards or guilds";
    return false;
  }
  h.cluster_id = narrow<std::uint32_t>(cluster);
  h.total_shards = narrow<std::uint32_t>(total);
  for (const simdjson::dom::element s : shards) {
    SnapshotShard shard;
    std::uint64_t id = 0;
    std::string_view session;
    if (s["shard"].get(id) != simdjson::SUCCESS || s["session"].get(session) != simdjson::SUCCESS ||
        s["seq"].get(shard.seq) != simdjson::SUCCESS || session.size() != 16) {
      why = "a shard entry of the header lacks shard, session or seq";
      return false;
    }
    shard.shard_id = narrow<std::uint32_t>(id);
    for (const char c : session) {
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) {
        why = "a session fingerprint of the header is not hexadecimal";
        return false;
      }
      shard.session = shard.session << 4 | static_cast<std::uint64_t>(digit);
    }
    h.shards.push_back(shard);
  }
  return true;
}

}  // namespace

SnapshotLoaded load_snapshot(Cache& cache, const fs::path& file, std::uint32_t total_shards,
                             const std::function<bool(const SnapshotShard&)>& accept, std::uint64_t max_bytes) {
  SnapshotLoaded result;
  auto fail = [&](std::string why) {
    result.outcome = Outcome::failed;
    result.detail = std::move(why);
    result.shards.clear();
    result.guilds = 0;
    return result;
  };
  MappedFile mapped;
  std::string problem;
  if (!mapped.open(file, max_bytes, problem)) {
    if (problem.empty() && errno == ENOENT) return result;  // absent
    return fail(problem.empty() ? std::string(std::strerror(errno)) : problem);
  }
  std::string_view rest = mapped.text();
  result.bytes = rest.size();
  simdjson::dom::parser parser;
  std::string_view line;
  bool cut = false;
  simdjson::dom::element doc;
  if (!next_line(rest, line, cut)) return fail("no header line");
  // Copied into the parser's padded buffer (the mapping has no padding after a line's end).
  if (parser.parse(line.data(), line.size(), true).get(doc) != simdjson::SUCCESS) {
    return fail("the header line is not JSON");
  }
  SnapshotHeader header;
  std::uint64_t expected_guilds = 0;
  if (std::string why; !read_header(doc, header, expected_guilds, why)) return fail(why);
  if (header.total_shards != total_shards) {
    result.outcome = Outcome::mismatch;
    result.detail = fmt::format("written for {} shards in all, now {}", header.total_shards, total_shards);
    return result;
  }
  std::unordered_set<std::uint32_t> taken;
  for (const SnapshotShard& s : header.shards) {
    if (accept(s)) taken.insert(s.shard_id);
  }
  if (taken.empty()) {
    result.outcome = Outcome::mismatch;
    result.detail = header.shards.empty() ? "it holds no shard"
                                          : "no shard's session and seq match the sessions meganed kept";
    return result;
  }

  const std::uint64_t malformed_before = cache.counts().malformed;
  std::uint64_t guild_lines = 0;
  std::size_t number = 1;
  while (next_line(rest, line, cut)) {
    ++number;
    std::string_view t;
    simdjson::dom::element d;
    if (parser.parse(line.data(), line.size(), true).get(doc) != simdjson::SUCCESS ||
        doc["t"].get(t) != simdjson::SUCCESS || doc["d"].get(d) != simdjson::SUCCESS) {
      return fail(fmt::format("line {} is not a dispatch", number));
    }
    if (t == "READY") {
      cache.apply(t, d);
      continue;
    }
    if (t != "GUILD_CREATE") return fail(fmt::format("line {} is a {}, not a GUILD_CREATE", number, t));
    ++guild_lines;
    const std::uint64_t id = snowflake(d["id"]);
    if (id == 0) return fail(fmt::format("line {} is a guild without an id", number));
    if (!taken.contains(shard_of(id, total_shards))) continue;
    cache.apply(t, d);
    ++result.guilds;
  }
  if (cut) return fail(fmt::format("line {} is cut short", number + 1));
  if (guild_lines != expected_guilds) {
    return fail(fmt::format("{} guilds in the file, the header says {}", guild_lines, expected_guilds));
  }
  if (const std::uint64_t bad = cache.counts().malformed - malformed_before; bad != 0) {
    return fail(fmt::format("{} entries the cache could not read", bad));
  }
  result.outcome = Outcome::loaded;
  result.shards.assign(taken.begin(), taken.end());
  std::sort(result.shards.begin(), result.shards.end());
  return result;
}

}  // namespace megane::cache
