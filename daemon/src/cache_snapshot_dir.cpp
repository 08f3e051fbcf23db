#include "cache_snapshot_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace megane::daemon {
namespace {

namespace fs = std::filesystem;

bool is_snapshot_name(const std::string& name) {
  return name.starts_with("cluster-") && (name.ends_with(".jsonl") || name.ends_with(".jsonl.tmp"));
}

}  // namespace

fs::path snapshot_file(const fs::path& dir, std::uint32_t cluster_id) {
  return dir / fmt::format("cluster-{}.jsonl", cluster_id);
}

fs::path prepare_snapshot_dir(const CacheSnapshotConfig& config, spdlog::logger& log) {
  if (!config.enabled || config.dir.empty()) return {};
  std::error_code ec;
  if (config.dir.has_parent_path()) fs::create_directories(config.dir.parent_path(), ec);
  if (::mkdir(config.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    log.warn("cache snapshots off: cannot create {}: {}", config.dir.string(), std::strerror(errno));
    return {};
  }
  struct stat st {};
  if (::lstat(config.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    log.warn("cache snapshots off: {} is not a directory", config.dir.string());
    return {};
  }
  if (st.st_uid != ::geteuid()) {
    log.warn("cache snapshots off: {} belongs to uid {}, not to meganed's", config.dir.string(), st.st_uid);
    return {};
  }
  // Snapshots hold member lists: only meganed's user may look in.
  if ((st.st_mode & 077) != 0 && ::chmod(config.dir.c_str(), 0700) != 0) {
    log.warn("cache snapshots off: cannot make {} private: {}", config.dir.string(), std::strerror(errno));
    return {};
  }
  std::size_t removed = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(config.dir, ec)) {
    if (is_snapshot_name(e.path().filename().string()) && fs::remove(e.path(), ec)) ++removed;
  }
  if (removed > 0) log.info("cache snapshots: removed {} left by an earlier meganed (their sessions are gone)", removed);
  return config.dir;
}

}  // namespace megane::daemon
