// The central store on the socket: decodes store_* requests, runs them on the Store (atomic:
// one loop thread), and answers a write only once the append log made it durable as
// configured. If the log fails, writes are refused (error `persistence`), never silently lost.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <megane/proto/frame.hpp>
#include <megane/proto/wire.hpp>
#include <spdlog/logger.h>

#include "config.hpp"
#include "connection.hpp"
#include "store/append_log.hpp"
#include "store/store.hpp"

namespace megane::daemon {

class StoreService {
 public:
  StoreService(boost::asio::io_context& io, const StoreConfig& config, std::shared_ptr<spdlog::logger> log);
  ~StoreService();

  // Loads the log (synchronously, before the loop runs). False with `error` when the daemon
  // must not start (corruption in the middle, unreadable file).
  bool open(std::string& error);
  void handle(Connection& conn, const proto::FrameView& frame);
  // Periodic housekeeping: active expiry, automatic log rewrite.
  void tick();
  // Flushes and closes the log; later writes are refused.
  void stop();

  std::size_t keys() const noexcept { return store_.size(); }

 private:
  // Replies now (encoded straight into the output buffer), or after the record is durable
  // when there is one and a log to make it so.
  template <class Fill>
  void reply_after_persist(Connection& conn, std::uint32_t request_id, proto::MessageType type,
                           const std::optional<LogRecord>& record, Fill&& fill) {
    if (!record || !append_log_) {
      conn.reply_with(type, request_id, std::forward<Fill>(fill));
      return;
    }
    proto::Writer w;
    fill(w);
    persist_then_reply(conn, request_id, type, *record, w.take());
  }
  void persist_then_reply(Connection& conn, std::uint32_t request_id, proto::MessageType type,
                          const LogRecord& record, proto::Bytes payload);
  // A GET answers at once unless its key was written by a write not durable yet: then the
  // answer waits for that write (a reader must never see a value a crash can take back).
  void reply_get(Connection& conn, std::uint32_t request_id, std::string_view key, UnixMs now);
  bool refuse_if_failed(Connection& conn, std::uint32_t request_id);

  boost::asio::io_context& io_;
  const StoreConfig& config_;
  std::shared_ptr<spdlog::logger> log_;
  Store store_;
  std::unique_ptr<AppendLog> append_log_;
  // Keys whose last write is queued but not durable yet, with that write's log sequence number.
  // Empty without a log, and between bursts of writes.
  struct KeyHash {  // transparent: a GET looks up its string_view key without a copy
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  boost::unordered_flat_map<std::string, std::uint64_t, KeyHash, std::equal_to<>> unsynced_;
  bool stopped_ = false;
};

}  // namespace megane::daemon
