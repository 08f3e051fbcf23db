// The directory where each cluster's SDK keeps its cache snapshot between a graceful stop and
// its next process ([cache] snapshot_dir, docs/meganed.md#cache-snapshots). meganed only owns
// the directory and names the files; the SDK writes and reads them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include <spdlog/logger.h>

#include "config.hpp"

namespace megane::daemon {

// Creates the directory (0700, parents as needed) and removes every snapshot in it: sessions
// live only in this daemon's memory, so no snapshot of an earlier daemon can match one.
// Returns the directory, or an empty path (logged) when snapshots are off or it is unusable;
// clusters then run without snapshots.
std::filesystem::path prepare_snapshot_dir(const CacheSnapshotConfig& config, spdlog::logger& log);

// The snapshot file of cluster `id` (MEGANE_CACHE_SNAPSHOT).
std::filesystem::path snapshot_file(const std::filesystem::path& dir, std::uint32_t cluster_id);

}  // namespace megane::daemon
