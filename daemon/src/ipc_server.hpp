// The daemon's Unix socket: created 0660 before anything can connect, peers checked against a
// uid allowlist with SO_PEERCRED, one Connection per accepted peer.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "connection.hpp"

namespace megane::daemon {

struct IpcServerOptions {
  std::filesystem::path socket;
  std::vector<std::uint32_t> allowed_uids;
  std::uint32_t max_frame_bytes = proto::default_max_frame_bytes;
  std::size_t max_output_bytes = 64u << 20;
  std::chrono::milliseconds handshake_timeout{5000};
  std::uint32_t max_connections_per_uid = 256;
};

class IpcServer {
 public:
  IpcServer(boost::asio::io_context& io, IpcServerOptions options, ConnectionHandler& handler);
  ~IpcServer();

  // Creates the socket file and starts accepting. On failure returns false with `error` set.
  bool listen(std::string& error);
  // Stops accepting, closes every connection and removes the socket file.
  void stop();

  // Reload: allowlist and limits for connections accepted from now on (the socket stays).
  void update_limits(const IpcServerOptions& options);

  void for_each(const std::function<void(Connection&)>& fn);
  void forget(const Connection& conn);
  std::size_t connection_count() const noexcept { return connections_.size(); }

 private:
  void accept_next();
  bool allowed(uid_t uid) const;

  boost::asio::io_context& io_;
  IpcServerOptions options_;
  ConnectionHandler& handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::map<uid_t, std::uint32_t> per_uid_;  // open connections per peer uid
  std::uint64_t next_id_ = 1;
  bool listening_ = false;
};

}  // namespace megane::daemon
