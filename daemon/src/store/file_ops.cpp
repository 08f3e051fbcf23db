#include "store/file_ops.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace megane::daemon {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

}  // namespace

int PosixFileOps::open(const std::string& path, int flags, std::error_code& ec) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  ec = fd < 0 ? last_error() : std::error_code{};
  return fd;
}

std::error_code PosixFileOps::write(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::error_code PosixFileOps::fsync(int fd, SyncKind kind) {
  const int rc = kind == SyncKind::data ? ::fdatasync(fd) : ::fsync(fd);
  return rc == 0 ? std::error_code{} : last_error();
}

std::error_code PosixFileOps::rename(const std::string& from, const std::string& to) {
  return std::rename(from.c_str(), to.c_str()) == 0 ? std::error_code{} : last_error();
}

std::error_code PosixFileOps::unlink(const std::string& path) {
  return ::unlink(path.c_str()) == 0 ? std::error_code{} : last_error();
}

void PosixFileOps::close(int fd) { ::close(fd); }

FileOps& posix_file_ops() {
  static PosixFileOps ops;
  return ops;
}

}  // namespace megane::daemon
