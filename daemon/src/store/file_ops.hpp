// The few file system calls the append log's disk thread makes, behind a tiny interface so tests
// can inject a failing write or fsync. Called only from the disk thread.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace megane::daemon {

// How much an fsync flushes: `data` = the bytes and what reading them needs (the size), not
// the timestamps (fdatasync, as Redis's AOF does: a write-ahead log needs no mtime); `full`
// = everything, for the rewritten file before its rename and for directories.
enum class SyncKind { data, full };

class FileOps {
 public:
  virtual ~FileOps() = default;
  // Opens with open(2) flags (mode 0600 when created). Returns the descriptor, or -1 with `ec`.
  virtual int open(const std::string& path, int flags, std::error_code& ec) = 0;
  // Writes all of `data`, retrying short writes and EINTR.
  virtual std::error_code write(int fd, std::string_view data) = 0;
  virtual std::error_code fsync(int fd, SyncKind kind) = 0;
  virtual std::error_code rename(const std::string& from, const std::string& to) = 0;
  virtual std::error_code unlink(const std::string& path) = 0;
  virtual void close(int fd) = 0;
};

class PosixFileOps : public FileOps {
 public:
  int open(const std::string& path, int flags, std::error_code& ec) override;
  std::error_code write(int fd, std::string_view data) override;
  std::error_code fsync(int fd, SyncKind kind) override;
  std::error_code rename(const std::string& from, const std::string& to) override;
  std::error_code unlink(const std::string& path) override;
  void close(int fd) override;
};

// A process-wide PosixFileOps (stateless, so sharing it is safe).
FileOps& posix_file_ops();

}  // namespace megane::daemon
