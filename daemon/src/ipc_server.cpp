#include "ipc_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <megane/proto/messages.hpp>
#include <spdlog/spdlog.h>

namespace megane::daemon {

namespace asio = boost::asio;
using Protocol = asio::local::stream_protocol;

namespace {

// True when something accepts connections at `path` (another daemon for the same bot).
bool someone_listening(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

IpcServer::IpcServer(asio::io_context& io, IpcServerOptions options, ConnectionHandler& handler)
    : io_(io), options_(std::move(options)), handler_(handler), acceptor_(io) {}

IpcServer::~IpcServer() { stop(); }

bool IpcServer::listen(std::string& error) {
  const auto& path = options_.socket;
  std::error_code fec;
  std::filesystem::create_directories(path.parent_path(), fec);
  if (fec) {
    error = fmt::format("cannot create {}: {}", path.parent_path().string(), fec.message());
    return false;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      error = fmt::format("{} exists and is not a socket; refusing to replace it", path.string());
      return false;
    }
    if (someone_listening(path)) {
      error = fmt::format("another daemon is already listening on {}", path.string());
      return false;
    }
    ::unlink(path.c_str());  // stale socket of a daemon that died
  }

  boost::system::error_code ec;
  acceptor_.open(Protocol(), ec);
  if (!ec) {
    // The file must never exist with wider permissions, not even between bind and chmod.
    const mode_t old = ::umask(0117);
    acceptor_.bind(Protocol::endpoint(path.string()), ec);
    ::umask(old);
  }
  if (!ec && ::chmod(path.c_str(), 0660) != 0) ec.assign(errno, boost::system::system_category());
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = fmt::format("cannot listen on {}: {}", path.string(), ec.message());
    return false;
  }
  listening_ = true;
  accept_next();
  return true;
}

void IpcServer::stop() {
  if (listening_) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    ::unlink(options_.socket.c_str());
    listening_ = false;
  }
  auto conns = connections_;
  for (auto& [id, weak] : conns)
    if (auto c = weak.lock()) c->close_now("daemon stopping");
  connections_.clear();
  per_uid_.clear();
}

void IpcServer::accept_next() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, Protocol::socket socket) {
    if (ec == asio::error::operation_aborted || !listening_) return;
    if (ec) {
      // EMFILE and friends: log and keep serving the peers we have.
      spdlog::warn("accept on {} failed: {}", options_.socket.string(), ec.message());
      accept_next();
      return;
    }
    ucred cred{};
    socklen_t len = sizeof(cred);
    PeerCredentials peer;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      peer = {cred.pid, cred.uid, cred.gid};
    } else {
      peer.uid = static_cast<uid_t>(-1);
    }
    const std::uint64_t id = next_id_++;
    auto conn = std::make_shared<Connection>(std::move(socket), handler_, id, peer,
                                             options_.max_frame_bytes, options_.max_output_bytes);
    if (!allowed(peer.uid)) {
      spdlog::warn("refused a connection from uid {} (pid {}): not in ipc.allowed_uids", peer.uid, peer.pid);
      conn->reply_error(0, proto::ErrorCode::not_allowed,
                        fmt::format("uid {} is not allowed to use this daemon", peer.uid));
      conn->close_after_flush("uid not allowed");
    } else if (per_uid_[peer.uid] >= options_.max_connections_per_uid) {
      // One runaway client must not exhaust the daemon's descriptors for everyone else.
      spdlog::warn("refused a connection from uid {} (pid {}): {} connections already open", peer.uid,
                   peer.pid, options_.max_connections_per_uid);
      conn->reply_error(0, proto::ErrorCode::limit,
                        fmt::format("uid {} already has {} connections open (ipc.max_connections_per_uid)",
                                    peer.uid, options_.max_connections_per_uid));
      conn->close_after_flush("too many connections");
    } else {
      connections_[id] = conn;
      ++per_uid_[peer.uid];
    }
    conn->start(options_.handshake_timeout);
    accept_next();
  });
}

bool IpcServer::allowed(uid_t uid) const {
  // Our own children run as us: the daemon's uid is always allowed, whatever the list says.
  if (uid == ::geteuid()) return true;
  const auto& list = options_.allowed_uids;
  return std::find(list.begin(), list.end(), static_cast<std::uint32_t>(uid)) != list.end();
}

void IpcServer::update_limits(const IpcServerOptions& options) {
  const auto socket = options_.socket;
  options_ = options;
  options_.socket = socket;
}

void IpcServer::for_each(const std::function<void(Connection&)>& fn) {
  for (auto it = connections_.begin(); it != connections_.end();) {
    // Connections remove themselves (forget) when they close; a dead weak_ptr here would be a
    // bug, but skipping it is harmless.
    if (auto c = it->second.lock(); c && c->open()) fn(*c);
    ++it;
  }
}

void IpcServer::forget(const Connection& conn) {
  if (connections_.erase(conn.id()) == 0) return;
  auto it = per_uid_.find(conn.peer().uid);
  if (it != per_uid_.end() && --it->second == 0) per_uid_.erase(it);
}

}  // namespace megane::daemon
