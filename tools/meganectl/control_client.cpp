#include "meganectl/control_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

namespace megane::ctl {
namespace {

using proto::MessageType;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, INT_MAX));
}

CallResult failure(CallStatus status, std::string message) {
  CallResult r;
  r.status = status;
  r.error = {proto::ErrorCode::internal, std::move(message)};
  return r;
}

bool is_error_frame(const proto::FrameHeader& h) {
  return h.type == MessageType::error || h.has(proto::FrameFlags::error);
}

}  // namespace

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

CallResult ControlClient::connect(const std::string& socket_path, Clock::time_point deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path)) {
    return failure(CallStatus::unreachable, fmt::format("bad socket path '{}'", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return failure(CallStatus::unreachable, fmt::format("socket: {}", std::strerror(errno)));
  // With a full listen backlog, connect() on a Unix socket blocks; SO_SNDTIMEO bounds that.
  const int ms = std::max(remaining_ms(deadline), 1);
  timeval tv{ms / 1000, static_cast<suseconds_t>(ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    if (err == EAGAIN || err == EINPROGRESS || err == ETIMEDOUT) {
      return failure(CallStatus::timeout, fmt::format("connecting to {} timed out", socket_path));
    }
    if (err == ENOENT) {
      return failure(CallStatus::unreachable,
                     fmt::format("no socket at {} (is meganed running?)", socket_path));
    }
    if (err == ECONNREFUSED) {
      return failure(CallStatus::unreachable,
                     fmt::format("connection refused at {} (meganed is not running)", socket_path));
    }
    return failure(CallStatus::unreachable,
                   fmt::format("cannot connect to {}: {}", socket_path, std::strerror(err)));
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);

  proto::Hello hello;
  hello.role = proto::Role::control;
  hello.client = "meganectl/" MEGANECTL_VERSION;
  proto::Bytes frame;
  proto::append_frame(frame, MessageType::hello, 0, 1, proto::encode(hello));
  if (write_all(frame, deadline) != Io::ok) {
    return failure(CallStatus::unreachable, fmt::format("sending hello: {}", io_error_));
  }
  CallResult r = wait_reply(1, deadline);
  proto::HelloOk ok;
  if (r.ok() && !proto::decode(r.payload, ok)) {
    return failure(CallStatus::protocol_error, "meganed sent an undecodable hello_ok");
  }
  return r;
}

CallResult ControlClient::request(MessageType type, proto::ByteView payload, Clock::time_point deadline) {
  const std::uint32_t id = next_request_id_++;
  CallResult sent = send(type, id, payload, deadline);
  if (!sent.ok()) return sent;
  return wait_reply(id, deadline);
}

CallResult ControlClient::send(MessageType type, std::uint32_t request_id, proto::ByteView payload,
                               Clock::time_point deadline) {
  if (fd_ < 0) return failure(CallStatus::unreachable, "not connected");
  proto::Bytes frame;
  proto::append_frame(frame, type, 0, request_id, payload);
  switch (write_all(frame, deadline)) {
    case Io::ok: return {};
    case Io::timeout: return failure(CallStatus::timeout, "meganed does not read its socket");
    case Io::closed:
    case Io::bad_frame: break;
  }
  return failure(CallStatus::unreachable, fmt::format("connection to meganed lost: {}", io_error_));
}

CallResult ControlClient::receive(Clock::time_point deadline) {
  if (fd_ < 0) return failure(CallStatus::unreachable, "not connected");
  for (;;) {
    proto::FrameView f;
    switch (read_frame(f, deadline)) {
      case Io::ok: break;
      case Io::timeout: return failure(CallStatus::timeout, "nothing from meganed in time");
      case Io::closed:
        return failure(CallStatus::unreachable,
                       io_error_.empty() ? std::string("meganed closed the connection")
                                         : fmt::format("connection to meganed lost: {}", io_error_));
      case Io::bad_frame:
        return failure(CallStatus::protocol_error,
                       fmt::format("bad frame from the socket: {}", io_error_));
    }
    const proto::FrameHeader h = f.header;
    if (h.type == MessageType::ping && !h.has(proto::FrameFlags::reply)) {
      proto::Bytes pong;
      proto::append_frame(pong, MessageType::pong, static_cast<std::uint16_t>(proto::FrameFlags::reply),
                          h.request_id, {});
      if (write_all(pong, deadline) != Io::ok) {
        return failure(CallStatus::unreachable, fmt::format("connection to meganed lost: {}", io_error_));
      }
      continue;
    }
    CallResult r;
    r.header = h;
    if (is_error_frame(h)) {
      r.status = CallStatus::rejected;
      if (!proto::decode(f.payload, r.error)) r.error.message = "undecodable error reply";
    } else {
      r.payload.assign(f.payload.begin(), f.payload.end());
    }
    return r;
  }
}

CallResult ControlClient::wait_reply(std::uint32_t request_id, Clock::time_point deadline) {
  for (;;) {
    // receive() answers pings and turns error frames into `rejected` results.
    CallResult r = receive(deadline);
    if (r.status != CallStatus::ok && r.status != CallStatus::rejected) {
      if (r.status == CallStatus::timeout) r.error.message = "no answer from meganed in time";
      return r;
    }
    const proto::FrameHeader& h = r.header;
    const bool ours = h.has(proto::FrameFlags::reply) && h.request_id == request_id;
    if (ours || (h.type == MessageType::error && !h.has(proto::FrameFlags::reply))) return r;
    // Anything else (late replies, events for other roles) is not ours: skip it.
  }
}

ControlClient::Io ControlClient::write_all(proto::ByteView bytes, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      const int r = ::poll(&p, 1, remaining_ms(deadline));
      if (r == 0) return Io::timeout;
      if (r < 0 && errno != EINTR) {
        io_error_ = std::strerror(errno);
        return Io::closed;
      }
      continue;
    }
    io_error_ = n < 0 ? std::strerror(errno) : "short write";
    return Io::closed;
  }
  return Io::ok;
}

ControlClient::Io ControlClient::read_frame(proto::FrameView& frame, Clock::time_point deadline) {
  for (;;) {
    const proto::HeaderStatus st = assembler_.next(frame);
    if (st == proto::HeaderStatus::ok) return Io::ok;
    if (st != proto::HeaderStatus::need_more) {
      io_error_ = std::string(proto::to_string(st));
      return Io::bad_frame;
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r == 0) return Io::timeout;
    if (r < 0) {
      if (errno == EINTR) continue;
      io_error_ = std::strerror(errno);
      return Io::closed;
    }
    auto space = assembler_.prepare();
    const ssize_t n = ::read(fd_, space.data(), space.size());
    if (n == 0) {
      io_error_.clear();
      return Io::closed;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      io_error_ = std::strerror(errno);
      return Io::closed;
    }
    assembler_.commit(static_cast<std::size_t>(n));
  }
}

}  // namespace megane::ctl
