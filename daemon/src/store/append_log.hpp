// The store's persistence: an append-only log of effects (log_record.hpp), written by one
// background disk thread; completions are posted back to the io_context. Under everysec and no
// the loop never waits for the disk. Under always, while the disk thread is idle, the loop
// writes and fsyncs a turn's records itself (two thread hand-offs fewer per group commit), so it
// waits for that fsync as Redis's appendfsync always does; rewrites never block it.
//
// Fsync policies and what an append's on_done(success) guarantees:
//   always    the record is written and fsynced (group commit: everything one loop turn or one
//             disk-thread pass has goes out in one write() and one fsync, then completes).
//   everysec  the record reached the kernel; an fsync runs about once a second, so a power
//             loss can lose about the last second. A failed background fsync fails the log.
//   no        the record reached the kernel; the kernel decides when it reaches the disk.
// Any write or fsync error puts the log in a failed state: that append's on_done and every
// later one get the error, so the daemon refuses to acknowledge writes instead of losing them
// silently. Only a restart clears it.
//
// Rewrite (compaction) without blocking the loop: the store is walked in key order, a chunk per
// loop turn, each chunk encoded as Set records and queued for the disk thread, which writes them
// to PATH.rewrite. Appends meanwhile go to the old log as usual and are also copied into the new
// file, in the same queue order as the chunks. That is enough: a chunk holds the state of its
// keys at the moment it was taken, each append the effect at its moment, and both reach the new
// file in loop order, so replaying the new file ends in the same state as the old one. (Redis
// keeps a separate rewrite buffer and appends it at the end; copying in order avoids holding it.)
// Then the new file is fsynced, renamed over the log, the directory fsynced, and appends go on
// to the new file. Nothing is ever lost from the old log while the rewrite runs, so a failed or
// cancelled rewrite simply leaves the old log in place.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "store/disk_writer.hpp"
#include "store/file_ops.hpp"
#include "store/log_loader.hpp"
#include "store/log_record.hpp"

namespace megane::daemon {

class Store;

enum class RewriteStart : std::uint8_t { started = 0, busy = 1, failed = 2 };

// When to compact automatically: the log has grown past min_bytes and past
// (100 + growth_percent)% of its size after the last rewrite (or load).
struct RewritePolicy {
  std::uint64_t min_bytes = 64ull << 20;
  std::uint32_t growth_percent = 100;
};

bool rewrite_due(std::uint64_t size, std::uint64_t base_size, const RewritePolicy& policy) noexcept;

class AppendLog {
 public:
  using Callback = std::function<void(std::error_code)>;
  using Clock = std::function<UnixMs()>;

  // `ops` defaults to posix_file_ops(); it must outlive the log. Nothing is touched on disk
  // until load().
  AppendLog(boost::asio::io_context& io, std::string path, FsyncPolicy policy, FileOps* ops = nullptr);
  ~AppendLog();  // stop()
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;

  // The clock for dropping expired keys at load and during a rewrite (default: system clock).
  void set_clock(Clock clock);
  // Keys per rewrite chunk, i.e. per loop turn (default 1000; a chunk also ends at ~1 MiB).
  void set_rewrite_chunk_keys(std::size_t keys);

  // Synchronous recovery, once, before the io_context runs and before any append: replays the
  // log into `store`, opens it for appending (creating it) and starts the disk thread. On !ok
  // the daemon must refuse to start.
  LogLoadResult load(Store& store);

  // Queues the effect; on_done runs on the io_context once it is durable as the policy says, or
  // with the error that stopped it. Never calls on_done inline. Returns the record's sequence
  // number (0 when it was refused at once).
  std::uint64_t append(const LogRecord& record, Callback on_done);
  // on_done runs once everything appended so far is durable (or failed), never inline: a read
  // that saw a write not yet durable answers only then, as if it had waited for that write.
  void after_appended(Callback on_done);
  // The sequence number the next accepted append gets.
  std::uint64_t next_seq() const noexcept;

  // Compacts the log from `store`, which must stay alive and be the store this log records,
  // until on_done runs. busy while one runs, failed when the log has failed.
  RewriteStart rewrite(const Store& store, Callback on_done);
  bool rewrite_running() const noexcept;
  bool rewrite_due(const RewritePolicy& policy = {}) const noexcept;

  std::uint64_t size_bytes() const noexcept;  // the log's size as last reported by the disk thread
  std::uint64_t base_bytes() const noexcept;  // its size after load or the last rewrite
  std::error_code failed() const noexcept;    // the failure seen by the loop, if any

  // Writes what is queued, fsyncs (every policy), joins the disk thread, and completes every
  // outstanding on_done inline. Call it on the loop thread before the io_context goes away.
  // Returns the log's error, if any. Idempotent.
  std::error_code stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace megane::daemon
