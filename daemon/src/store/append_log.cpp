#include "store/append_log.hpp"

#include <fcntl.h>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "store/store.hpp"

namespace megane::daemon {
namespace {

// A rewrite chunk ends after this many bytes even if it holds fewer keys than asked.
constexpr std::size_t rewrite_chunk_bytes = 1u << 20;
// Chunks queued for the disk thread at once: keeps the disk busy without buffering the store.
constexpr int rewrite_chunks_in_flight = 2;

UnixMs system_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool rewrite_due(std::uint64_t size, std::uint64_t base_size, const RewritePolicy& policy) noexcept {
  if (size <= policy.min_bytes) return false;
  const double limit = static_cast<double>(base_size) * (1.0 + policy.growth_percent / 100.0);
  return static_cast<double>(size) > limit;
}

// Loop-thread state. Posted handlers hold a weak_ptr, so a report arriving after the log is
// gone does nothing.
struct AppendLog::Impl : std::enable_shared_from_this<AppendLog::Impl> {
  Impl(boost::asio::io_context& io_context, std::string log_path, FsyncPolicy fsync, FileOps& file_ops)
      : io(io_context), path(std::move(log_path)), policy(fsync), ops(file_ops) {}

  void on_report(const DiskReport& report);
  void complete_through(std::uint64_t seq, std::error_code ec);
  void post_step();
  void rewrite_step();
  void finish_rewrite_callback(std::error_code ec);
  void update_guard();
  void flush_batch();
  void post_error(Callback on_done, std::error_code ec);
  void note_failure(std::error_code ec);
  std::error_code stop();

  boost::asio::io_context& io;
  const std::string path;
  const FsyncPolicy policy;
  FileOps& ops;
  Clock clock = system_now;
  std::shared_ptr<spdlog::logger> log = spdlog::default_logger();
  std::size_t chunk_keys = 1000;
  std::unique_ptr<DiskWriter> disk;
  bool loaded = false;
  bool stopped = false;
  std::error_code stop_result;

  std::uint64_t next_seq = 1;
  std::deque<std::pair<std::uint64_t, Callback>> waiting;
  std::error_code failed;
  std::uint64_t size = 0;
  std::uint64_t base = 0;
  std::uint64_t size_before_rewrite = 0;
  std::string scratch;
  // Records of this loop turn, handed to the disk thread in one piece at the end of the turn:
  // under fsync=always that is one write and one fsync for everything a turn produced, not
  // one fsync per record that happened to arrive first (group commit).
  std::string batch;
  std::uint64_t batch_seq = 0;
  bool flush_posted = false;
  // Keeps io_context::run() going while appends or a rewrite are outstanding.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;

  const Store* rewrite_store = nullptr;
  Callback rewrite_done;
  std::string rewrite_cursor;
  bool rewriting = false;
  bool scan_done = false;
  bool step_posted = false;
  int chunks_in_flight = 0;
};

void AppendLog::Impl::on_report(const DiskReport& r) {
  if (stopped) return;  // stop() already completed everything
  size = r.size;
  switch (r.kind) {
    case DiskReport::Kind::appended:
      if (r.ec) note_failure(r.ec);
      complete_through(r.seq, r.ec);
      break;
    case DiskReport::Kind::failed: note_failure(r.ec); break;
    case DiskReport::Kind::chunk_written:
      chunks_in_flight -= static_cast<int>(r.seq);
      if (rewriting && !scan_done) {
        if (r.ec) {
          // The new file is broken: stop scanning, let the disk thread report why.
          scan_done = true;
          flush_batch();
          disk->rewrite_finish();
        } else {
          post_step();
        }
      }
      break;
    case DiskReport::Kind::rewrite_done:
      if (!r.ec) {
        base = r.size;
        log->info("store log {}: rewritten, {} -> {} bytes", path, size_before_rewrite, r.size);
      } else {
        log->warn("store log {}: rewrite failed ({}); the old log stays in use", path, r.ec.message());
      }
      finish_rewrite_callback(r.ec);
      break;
  }
  update_guard();
}

void AppendLog::Impl::note_failure(std::error_code ec) {
  if (failed) return;
  failed = ec;
  log->error("store log {}: {}; refusing to acknowledge store writes until meganed restarts", path,
             ec.message());
}

void AppendLog::Impl::complete_through(std::uint64_t seq, std::error_code ec) {
  while (!waiting.empty() && waiting.front().first <= seq) {
    Callback cb = std::move(waiting.front().second);
    waiting.pop_front();
    if (cb) cb(ec);
  }
}

void AppendLog::Impl::post_step() {
  if (step_posted) return;
  step_posted = true;
  boost::asio::post(io, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->step_posted = false;
      self->rewrite_step();
    }
  });
}

// One chunk per loop turn, so the loop never serializes the whole store in one go.
void AppendLog::Impl::rewrite_step() {
  if (stopped || !rewriting || scan_done || chunks_in_flight >= rewrite_chunks_in_flight) return;
  std::string bytes;
  std::size_t keys = 0;
  rewrite_cursor = rewrite_store->visit(
      rewrite_cursor, clock(), [&](std::string_view key, std::string_view value, UnixMs at) {
        // A value too large to encode was refused by append() as well, so it is not in the
        // old log either.
        encode_set(key, value, at, bytes);
        return ++keys < chunk_keys && bytes.size() < rewrite_chunk_bytes;
      });
  if (!bytes.empty()) {
    flush_batch();  // appends taken before this chunk go before it, as in the loop
    disk->rewrite_chunk(std::move(bytes));
    ++chunks_in_flight;
  }
  if (rewrite_cursor.empty()) {
    scan_done = true;
    flush_batch();
    disk->rewrite_finish();
  } else if (chunks_in_flight < rewrite_chunks_in_flight) {
    post_step();
  }  // else the next chunk_written report resumes the scan
}

void AppendLog::Impl::finish_rewrite_callback(std::error_code ec) {
  if (!rewriting) return;
  rewriting = false;
  rewrite_store = nullptr;
  Callback cb = std::move(rewrite_done);
  rewrite_done = nullptr;
  if (cb) cb(ec);
}

void AppendLog::Impl::update_guard() {
  if (!waiting.empty() || rewriting) {
    if (!guard) guard.emplace(io.get_executor());
  } else {
    guard.reset();
  }
}

void AppendLog::Impl::flush_batch() {
  if (batch.empty() || !disk) return;
  // fsync=always with an idle disk thread: write and fsync here, then acknowledge at once
  // (see DiskWriter::try_append_inline). During a rewrite appends keep their place in the
  // disk thread's queue, behind the chunks.
  if (policy == FsyncPolicy::always && !rewriting) {
    if (const auto report = disk->try_append_inline(batch, batch_seq)) {
      batch.clear();
      on_report(*report);
      return;
    }
  }
  disk->append(batch, batch_seq);
  batch.clear();
}

void AppendLog::Impl::post_error(Callback on_done, std::error_code ec) {
  boost::asio::post(io, [cb = std::move(on_done), ec] {
    if (cb) cb(ec);
  });
}

std::error_code AppendLog::Impl::stop() {
  if (stopped) return stop_result;
  stopped = true;
  std::uint64_t written = 0;
  flush_batch();  // what this turn appended is written before the thread stops
  if (disk) {
    stop_result = disk->stop();
    written = disk->last_written_seq();
  }
  if (!failed) failed = stop_result;
  // The disk thread drained its queue, so every append was either written or failed.
  const std::error_code rest = failed ? failed : std::make_error_code(std::errc::operation_canceled);
  while (!waiting.empty()) {
    auto [seq, cb] = std::move(waiting.front());
    waiting.pop_front();
    if (cb) cb(seq <= written ? std::error_code{} : rest);
  }
  finish_rewrite_callback(std::make_error_code(std::errc::operation_canceled));
  guard.reset();
  return stop_result;
}

AppendLog::AppendLog(boost::asio::io_context& io, std::string path, FsyncPolicy policy, FileOps* ops)
    : impl_(std::make_shared<Impl>(io, std::move(path), policy, ops ? *ops : posix_file_ops())) {}

AppendLog::~AppendLog() { impl_->stop(); }

void AppendLog::set_clock(Clock clock) { impl_->clock = std::move(clock); }

void AppendLog::set_rewrite_chunk_keys(std::size_t keys) { impl_->chunk_keys = keys == 0 ? 1 : keys; }

LogLoadResult AppendLog::load(Store& store) {
  Impl& s = *impl_;
  if (s.loaded) return LogLoadResult{false, "store log " + s.path + ": loaded twice", {}, 0, 0, 0, 0};
  // A rewrite cut short by a crash leaves its temporary file behind; it is never needed.
  (void)s.ops.unlink(s.path + ".rewrite");
  LogLoadResult result = load_log(s.path, store, s.clock());
  if (!result.ok) return result;
  // Opened now rather than at the first write, so a bad path or permission stops the start-up.
  std::error_code ec;
  const int fd = s.ops.open(s.path, O_WRONLY | O_APPEND | O_CREAT, ec);
  if (fd < 0) {
    store.clear();
    return LogLoadResult{false, "store log " + s.path + ": cannot open for appending: " + ec.message(),
                      {}, 0, 0, 0, 0};
  }
  s.loaded = true;
  s.size = s.base = result.size;
  boost::asio::io_context& io = s.io;
  s.disk = std::make_unique<DiskWriter>(
      s.path, s.policy, s.ops, fd, result.size, [weak = s.weak_from_this(), &io](const DiskReport& r) {
        boost::asio::post(io, [weak, r] {
          if (auto self = weak.lock()) self->on_report(r);
        });
      });
  return result;
}

std::uint64_t AppendLog::append(const LogRecord& record, Callback on_done) {
  Impl& s = *impl_;
  if (!s.loaded || s.stopped) {
    s.post_error(std::move(on_done), std::make_error_code(s.stopped ? std::errc::operation_canceled
                                                                     : std::errc::operation_not_permitted));
    return 0;
  }
  if (s.failed) {
    s.post_error(std::move(on_done), s.failed);
    return 0;
  }
  s.scratch.clear();
  if (!encode_record(record, s.scratch)) {
    s.post_error(std::move(on_done), std::make_error_code(std::errc::value_too_large));
    return 0;
  }
  const std::uint64_t seq = s.next_seq++;
  s.waiting.emplace_back(seq, std::move(on_done));
  s.batch.append(s.scratch);
  s.batch_seq = seq;
  if (!s.flush_posted) {
    s.flush_posted = true;
    // Runs after every handler already queued, i.e. after the rest of this loop turn.
    boost::asio::post(s.io, [weak = std::weak_ptr<Impl>(impl_)] {
      if (auto impl = weak.lock()) {
        impl->flush_posted = false;
        impl->flush_batch();
      }
    });
  }
  s.update_guard();
  return seq;
}

void AppendLog::after_appended(Callback on_done) {
  Impl& s = *impl_;
  if (s.failed || s.stopped || s.waiting.empty()) {
    // Nothing outstanding: every append so far is durable (or the log failed and says so).
    s.post_error(std::move(on_done), s.failed);
    return;
  }
  // Completed with the last append queued, in order behind it.
  s.waiting.emplace_back(s.waiting.back().first, std::move(on_done));
}

RewriteStart AppendLog::rewrite(const Store& store, Callback on_done) {
  Impl& s = *impl_;
  if (!s.loaded || s.stopped || s.failed) return RewriteStart::failed;
  if (s.rewriting) return RewriteStart::busy;
  s.rewriting = true;
  s.size_before_rewrite = s.size;
  s.scan_done = false;
  s.chunks_in_flight = 0;
  s.rewrite_store = &store;
  s.rewrite_done = std::move(on_done);
  s.rewrite_cursor.clear();
  s.flush_batch();
  s.disk->rewrite_begin();
  s.post_step();
  s.update_guard();
  return RewriteStart::started;
}

bool AppendLog::rewrite_running() const noexcept { return impl_->rewriting; }

bool AppendLog::rewrite_due(const RewritePolicy& policy) const noexcept {
  return !impl_->rewriting && !impl_->failed && megane::daemon::rewrite_due(impl_->size, impl_->base, policy);
}

std::uint64_t AppendLog::next_seq() const noexcept { return impl_->next_seq; }
std::uint64_t AppendLog::size_bytes() const noexcept { return impl_->size; }
std::uint64_t AppendLog::base_bytes() const noexcept { return impl_->base; }
std::error_code AppendLog::failed() const noexcept { return impl_->failed; }

std::error_code AppendLog::stop() { return impl_->stop(); }

}  // namespace megane::daemon
