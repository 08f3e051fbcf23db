// The central store on the socket: decodes store_* requests, runs them on the Store (atomic:
// one loop thread), and answers a write only once the append log made it durable as
// configured. If the log fails, writes are refused (error `persistence`), never silently lost.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <megane/proto/frame.hpp>
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
  // Replies now, or after the record is durable when there is one.
  void reply_after_persist(Connection& conn, std::uint32_t request_id, proto::MessageType type,
                           std::optional<LogRecord> record, proto::Bytes payload);
  bool refuse_if_failed(Connection& conn, std::uint32_t request_id);

  boost::asio::io_context& io_;
  const StoreConfig& config_;
  std::shared_ptr<spdlog::logger> log_;
  Store store_;
  std::unique_ptr<AppendLog> append_log_;
  bool stopped_ = false;
};

}  // namespace megane::daemon
