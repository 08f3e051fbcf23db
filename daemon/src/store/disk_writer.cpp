#include "store/disk_writer.hpp"

#include <fcntl.h>

#include <filesystem>

#include "store/log_record.hpp"

namespace megane::daemon {

using namespace std::chrono_literals;

DiskWriter::DiskWriter(std::string path, FsyncPolicy policy, FileOps& ops, int fd,
                       std::uint64_t start_size, Sink sink)
    : path_(std::move(path)),
      rewrite_path_(path_ + ".rewrite"),
      policy_(policy),
      ops_(ops),
      sink_(std::move(sink)),
      fd_(fd),
      size_(start_size),
      last_sync_(std::chrono::steady_clock::now()),
      thread_([this] { run(); }) {}

DiskWriter::~DiskWriter() { stop(); }

void DiskWriter::append(std::string_view encoded, std::uint64_t seq) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = queue_.empty();
    // Consecutive appends share one buffer: fewer allocations, and the batch is one write().
    if (!was_empty && queue_.back().kind == Job::Kind::append) {
      queue_.back().bytes.append(encoded);
      queue_.back().seq = seq;
    } else {
      queue_.push_back(Job{Job::Kind::append, std::string(encoded), seq});
    }
  }
  // A non-empty queue means the thread was already woken and has not taken the queue yet.
  if (was_empty) wake_.notify_one();
}

std::optional<DiskReport> DiskWriter::try_append_inline(std::string_view encoded, std::uint64_t seq) {
  if (policy_ != FsyncPolicy::always) return std::nullopt;
  // Held across the write and the fsync: the disk thread is idle and cannot start meanwhile,
  // so its state (fd_, size_, rewriting_...) is ours for this call.
  std::lock_guard lock(mutex_);
  if (busy_ || stopping_ || !queue_.empty() || rewriting_) return std::nullopt;
  const std::error_code ec = write_appends(encoded, seq);
  return DiskReport{DiskReport::Kind::appended, seq, ec, size_};
}

void DiskWriter::rewrite_begin() {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{Job::Kind::rewrite_begin, {}, 0});
  }
  wake_.notify_one();
}

void DiskWriter::rewrite_chunk(std::string encoded) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{Job::Kind::rewrite_chunk, std::move(encoded), 0});
  }
  wake_.notify_one();
}

void DiskWriter::rewrite_finish() {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{Job::Kind::rewrite_finish, {}, 0});
  }
  wake_.notify_one();
}

std::error_code DiskWriter::stop() {
  if (!stopped_) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    stopped_ = true;
  }
  return failed_;
}

void DiskWriter::run() {
  std::vector<Job> jobs;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      while (queue_.empty() && !stopping_) {
        if (policy_ != FsyncPolicy::everysec || !dirty_) {
          wake_.wait(lock);
        } else if (wake_.wait_until(lock, last_sync_ + 1s) == std::cv_status::timeout) {
          break;  // time for the once-a-second fsync
        }
      }
      if (queue_.empty() && stopping_) break;
      jobs.swap(queue_);
      busy_ = true;
    }
    process(jobs);
    jobs.clear();
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    if (policy_ == FsyncPolicy::everysec && dirty_ && !failed_ &&
        std::chrono::steady_clock::now() - last_sync_ >= 1s) {
      if (auto ec = sync_log()) {
        fail(ec);
        sink_(DiskReport{DiskReport::Kind::failed, 0, ec, size_});
      }
    }
  }
  // Stopping: the queue is drained. An unfinished rewrite is dropped; the old log is complete.
  if (rewriting_) abandon_rewrite(std::make_error_code(std::errc::operation_canceled));
  if (fd_ >= 0) {
    if (dirty_ && !failed_) {
      if (auto ec = sync_log()) {
        fail(ec);
        sink_(DiskReport{DiskReport::Kind::failed, 0, ec, size_});
      }
    }
    ops_.close(fd_);
    fd_ = -1;
  }
}

void DiskWriter::process(std::vector<Job>& jobs) {
  std::string log_bytes;
  std::string new_bytes;
  std::uint64_t seq = 0;
  bool has_appends = false;
  int chunks = 0;
  const auto flush_now = [&] {
    flush(log_bytes, seq, has_appends, new_bytes, chunks);
    has_appends = false;
    chunks = 0;
  };
  for (Job& job : jobs) {
    switch (job.kind) {
      case Job::Kind::append:
        if (rewriting_ && !rewrite_error_) new_bytes += job.bytes;
        if (log_bytes.empty()) log_bytes.swap(job.bytes);
        else log_bytes += job.bytes;
        seq = job.seq;
        has_appends = true;
        break;
      case Job::Kind::rewrite_chunk:
        if (rewriting_ && !rewrite_error_) new_bytes += job.bytes;
        ++chunks;
        break;
      case Job::Kind::rewrite_begin:
        flush_now();
        start_rewrite();
        break;
      case Job::Kind::rewrite_finish:
        flush_now();
        finish_rewrite();
        break;
    }
  }
  flush_now();
}

void DiskWriter::flush(std::string& log_bytes, std::uint64_t seq, bool has_appends,
                       std::string& new_bytes, int chunks) {
  if (has_appends) {
    const std::error_code ec = write_appends(log_bytes, seq);
    sink_(DiskReport{DiskReport::Kind::appended, seq, ec, size_});
  }
  if (rewriting_ && !rewrite_error_ && !new_bytes.empty()) {
    if (auto ec = ops_.write(rewrite_fd_, new_bytes)) rewrite_error_ = ec;
    else rewrite_size_ += new_bytes.size();
  }
  if (chunks > 0) {
    sink_(DiskReport{DiskReport::Kind::chunk_written, static_cast<std::uint64_t>(chunks),
                     rewrite_error_, size_});
  }
  log_bytes.clear();
  new_bytes.clear();
}

// Writes records to the log (and fsyncs under always: one fsync for the whole batch).
std::error_code DiskWriter::write_appends(std::string_view log_bytes, std::uint64_t seq) {
  std::error_code ec = failed_;
  if (!ec && fd_ < 0) fd_ = ops_.open(path_, O_WRONLY | O_APPEND | O_CREAT, ec);
  std::string with_header;  // a new file starts with its header, in the same write()
  if (!ec && size_ == 0) {
    with_header.reserve(log_file_magic.size() + log_bytes.size());
    with_header.append(log_file_magic).append(log_bytes);
    log_bytes = with_header;
  }
  if (!ec) ec = ops_.write(fd_, log_bytes);
  if (!ec) {
    size_ += log_bytes.size();
    dirty_ = true;
    if (policy_ == FsyncPolicy::always) ec = sync_log();
  }
  if (ec) fail(ec);
  else written_seq_ = seq;
  return ec;
}

void DiskWriter::fail(std::error_code ec) {
  if (!failed_) failed_ = ec;
  if (rewriting_ && !rewrite_error_) rewrite_error_ = ec;
}

std::error_code DiskWriter::sync_log() {
  last_sync_ = std::chrono::steady_clock::now();
  if (fd_ < 0) return {};
  auto ec = ops_.fsync(fd_, SyncKind::data);
  if (!ec) dirty_ = false;
  return ec;
}

void DiskWriter::start_rewrite() {
  rewriting_ = true;
  rewrite_error_ = failed_;
  rewrite_size_ = 0;
  if (rewrite_error_) return;
  rewrite_fd_ = ops_.open(rewrite_path_, O_WRONLY | O_CREAT | O_TRUNC, rewrite_error_);
  if (rewrite_error_) return;
  if (auto ec = ops_.write(rewrite_fd_, log_file_magic)) rewrite_error_ = ec;
  else rewrite_size_ = log_file_magic.size();
}

void DiskWriter::finish_rewrite() {
  if (!rewriting_) return;
  std::error_code ec = rewrite_error_ ? rewrite_error_ : failed_;
  if (!ec) ec = ops_.fsync(rewrite_fd_, SyncKind::full);
  if (!ec) ec = ops_.rename(rewrite_path_, path_);
  if (ec) {
    abandon_rewrite(ec);
    return;
  }
  // From here on the new file is the log. Everything appended so far is in it and fsynced.
  if (fd_ >= 0) ops_.close(fd_);
  fd_ = rewrite_fd_;
  rewrite_fd_ = -1;
  size_ = rewrite_size_;
  dirty_ = false;
  rewriting_ = false;
  // Until the directory is fsynced a crash may bring back the old file, which lacks what is
  // appended from now on: acknowledging more writes would be a lie, so the log fails instead.
  std::error_code dir_ec;
  const int dir_fd = ops_.open(directory(), O_RDONLY | O_DIRECTORY, dir_ec);
  if (!dir_ec) {
    dir_ec = ops_.fsync(dir_fd, SyncKind::full);
    ops_.close(dir_fd);
  }
  if (dir_ec) {
    fail(dir_ec);
    sink_(DiskReport{DiskReport::Kind::failed, 0, dir_ec, size_});
  }
  sink_(DiskReport{DiskReport::Kind::rewrite_done, 0, dir_ec, size_});
}

void DiskWriter::abandon_rewrite(std::error_code ec) {
  if (rewrite_fd_ >= 0) {
    ops_.close(rewrite_fd_);
    ops_.unlink(rewrite_path_);
    rewrite_fd_ = -1;
  }
  rewriting_ = false;
  rewrite_error_ = {};
  sink_(DiskReport{DiskReport::Kind::rewrite_done, 0, ec, size_});
}

std::string DiskWriter::directory() const {
  auto dir = std::filesystem::path(path_).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

}  // namespace megane::daemon
