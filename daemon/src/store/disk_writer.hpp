// The append log's one background disk thread. The loop thread hands it jobs in loop order; it
// takes everything queued at once, writes it with one write() per file, fsyncs as the policy
// says, and reports back through `sink` (called on the disk thread; AppendLog posts the reports
// to the io_context). It knows nothing about Asio or the store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "store/file_ops.hpp"

namespace megane::daemon {

enum class FsyncPolicy : std::uint8_t { always = 0, everysec = 1, no = 2 };

struct DiskReport {
  enum class Kind : std::uint8_t {
    appended,       // appends through `seq` are written (and fsynced under always), or failed
    chunk_written,  // one rewrite chunk left the queue (ec is the rewrite's error so far)
    rewrite_done,   // the rewrite finished (ec = success or why not); size = new log size
    failed,         // the log failed outside an append (background fsync, rename durability)
  };
  Kind kind = Kind::appended;
  std::uint64_t seq = 0;
  std::error_code ec;
  std::uint64_t size = 0;  // the log's size in bytes after this step
};

class DiskWriter {
 public:
  using Sink = std::function<void(const DiskReport&)>;

  // fd: the log opened for appending (the writer owns it from now on); start_size: its valid
  // size found by load (0 = a file header is written first).
  DiskWriter(std::string path, FsyncPolicy policy, FileOps& ops, int fd, std::uint64_t start_size,
             Sink sink);
  ~DiskWriter();
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  // Queues already encoded records, the last of which has sequence number `seq`.
  void append(std::string_view encoded, std::uint64_t seq);
  // fsync=always only: when the disk thread is idle (nothing queued, no rewrite), writes and
  // fsyncs the records right here on the caller's thread and returns the report the thread
  // would have sent; else nothing happens and it returns nullopt (queue them with append()).
  // Saves the two thread hand-offs per group commit, at the price of blocking the caller for
  // the fsync, as Redis's appendfsync always does.
  std::optional<DiskReport> try_append_inline(std::string_view encoded, std::uint64_t seq);
  // Starts writing PATH.rewrite; until rewrite_finish every append is also copied into it, in
  // the same order as the snapshot chunks (see append_log.hpp for why that is enough).
  void rewrite_begin();
  void rewrite_chunk(std::string encoded);
  // fsyncs the new file, renames it over the log, fsyncs the directory, switches to it.
  void rewrite_finish();
  // Drains the queue, fsyncs, closes, joins. Idempotent. Returns the log's error, if any.
  std::error_code stop();

  // Valid only after stop(): the highest sequence number written without error.
  std::uint64_t last_written_seq() const noexcept { return written_seq_; }

 private:
  struct Job {
    enum class Kind : std::uint8_t { append, rewrite_begin, rewrite_chunk, rewrite_finish };
    Kind kind = Kind::append;
    std::string bytes;
    std::uint64_t seq = 0;
  };

  void run();
  void process(std::vector<Job>& jobs);
  void flush(std::string& log_bytes, std::uint64_t seq, bool has_appends, std::string& new_bytes,
             int chunks);
  std::error_code write_appends(std::string_view log_bytes, std::uint64_t seq);
  void fail(std::error_code ec);
  std::error_code sync_log();
  void start_rewrite();
  void finish_rewrite();
  void abandon_rewrite(std::error_code ec);
  std::string directory() const;

  // Fixed at construction.
  const std::string path_;
  const std::string rewrite_path_;
  const FsyncPolicy policy_;
  FileOps& ops_;
  const Sink sink_;

  // Shared with the loop thread, under mutex_.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Job> queue_;
  bool stopping_ = false;
  bool busy_ = false;  // the disk thread is processing jobs it took from queue_

  // Disk thread only (and the loop thread after join).
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t written_seq_ = 0;
  std::error_code failed_;
  bool dirty_ = false;  // written but not fsynced
  std::chrono::steady_clock::time_point last_sync_;
  bool rewriting_ = false;
  int rewrite_fd_ = -1;
  std::uint64_t rewrite_size_ = 0;
  std::error_code rewrite_error_;

  bool stopped_ = false;  // loop thread only
  std::thread thread_;    // last: starts once everything above is initialised
};

}  // namespace megane::daemon
