#include "store/log_loader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "store/store.hpp"

namespace megane::daemon {
namespace {

// A read-only mapping of the whole file: no copy of a possibly large log next to the store.
class MappedFile {
 public:
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  explicit MappedFile(int fd, std::size_t size) : size_(size) {
    if (size_ == 0) return;
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) data_ = static_cast<const char*>(p);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  bool ok() const { return size_ == 0 || data_ != nullptr; }
  std::string_view bytes() const { return data_ == nullptr ? std::string_view() : std::string_view(data_, size_); }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

bool all_zero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

LogLoadResult failure(const std::string& text, std::uint64_t offset = 0) {
  LogLoadResult r;
  r.ok = false;
  r.error = text;
  r.bad_offset = offset;
  return r;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

LogLoadResult replay_log(std::string_view data, const std::string& path, Store& store, UnixMs now) {
  LogLoadResult result;
  std::size_t offset = 0;
  std::string torn_reason;
  if (data.size() < log_file_magic.size()) {
    // A crash while the very first write was under way.
    if (!log_file_magic.starts_with(data)) {
      return failure(fmt::format("store log {}: not a megane store log (bad file header)", path));
    }
    if (!data.empty()) torn_reason = "incomplete file header";
  } else if (!data.starts_with(log_file_magic.substr(0, 7))) {
    return failure(fmt::format("store log {}: not a megane store log (bad file header)", path));
  } else if (data[7] != log_file_magic[7]) {
    return failure(fmt::format("store log {}: unsupported format version {}", path,
                               static_cast<unsigned>(static_cast<unsigned char>(data[7]))));
  } else {
    offset = log_file_magic.size();
  }

  LogRecord record;
  while (torn_reason.empty() && offset < data.size()) {
    std::size_t consumed = 0;
    const std::string_view rest = data.substr(offset);
    const DecodeStatus status = decode_record(rest, record, consumed);
    switch (status) {
      case DecodeStatus::ok:
        store.apply(record);
        ++result.records;
        offset += consumed;
        continue;
      case DecodeStatus::incomplete: torn_reason = "incomplete record"; break;
      case DecodeStatus::bad_checksum:
        if (consumed == rest.size()) torn_reason = "checksum mismatch in the last record";
        break;
      case DecodeStatus::bad_length:
      case DecodeStatus::bad_payload: break;
    }
    if (torn_reason.empty() && all_zero(rest)) torn_reason = "zero bytes";
    if (torn_reason.empty()) {
      store.clear();
      auto r = failure(fmt::format("store log {}: corrupt record at byte offset {} ({}) with {} "
                                   "more bytes after it; refusing to load",
                                   path, offset, to_string(status), rest.size()),
                       offset);
      r.records = result.records;
      return r;
    }
  }

  if (!torn_reason.empty()) {
    result.warning = fmt::format("store log {}: torn tail at byte offset {} ({}, {} bytes dropped); "
                                 "truncated the file to the last complete record",
                                 path, offset, torn_reason, data.size() - offset);
    result.bad_offset = offset;
  }
  result.size = offset;
  result.expired = store.expire_some(now, std::numeric_limits<std::size_t>::max());
  return result;
}

LogLoadResult load_log(const std::string& path, Store& store, UnixMs now) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return failure(fmt::format("store log {}: cannot open: {}", path, errno_text()));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const auto text = errno_text();
    ::close(fd);
    return failure(fmt::format("store log {}: cannot stat: {}", path, text));
  }
  const MappedFile file(fd, static_cast<std::size_t>(st.st_size));
  ::close(fd);  // the mapping stays valid
  if (!file.ok()) return failure(fmt::format("store log {}: cannot map: {}", path, errno_text()));

  LogLoadResult result = replay_log(file.bytes(), path, store, now);
  if (result.ok && !result.warning.empty() && ::truncate(path.c_str(), static_cast<off_t>(result.size)) != 0) {
    const auto text = errno_text();
    store.clear();
    return failure(fmt::format("store log {}: torn tail at byte offset {} but truncating failed: {}", path,
                               result.size, text),
                   result.size);
  }
  return result;
}

}  // namespace megane::daemon
