#include "ws_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include <zlib.h>

namespace megane::test {

namespace {

using Clock = std::chrono::steady_clock;

int connect_local(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// Appends what arrives before the deadline; false on timeout, EOF or error.
bool read_some(int fd, std::string& into, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char buf[65536];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  into.append(buf, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, const std::string& authorization) {
  HttpReply reply;
  const int fd = connect_local(port);
  if (fd < 0) return reply;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!authorization.empty()) req += "Authorization: " + authorization + "\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  write_all(fd, req);
  std::string in;
  const auto deadline = Clock::now() + 5s;
  while (read_some(fd, in, deadline)) {
  }
  ::close(fd);
  const std::size_t end = in.find("\r\n\r\n");
  if (in.size() < 12 || end == std::string::npos) return reply;
  reply.status = std::stoi(in.substr(9, 3));
  reply.headers = in.substr(0, end);
  reply.body = in.substr(end + 4);
  return reply;
}

WsClient::WsClient(std::uint16_t port, const std::string& target, bool zlib) {
  fd_ = connect_local(port);
  if (fd_ < 0) return;
  write_all(fd_, "GET " + target +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  const auto deadline = Clock::now() + 5s;
  while (in_.find("\r\n\r\n") == std::string::npos) {
    if (!read_some(fd_, in_, deadline)) return;
  }
  upgrade_status_ = std::stoi(in_.substr(9, 3));
  // The accept key of the RFC 6455 sample nonce.
  if (upgrade_status_ == 101 && in_.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == std::string::npos) upgrade_status_ = -1;
  in_.erase(0, in_.find("\r\n\r\n") + 4);
  if (zlib) {
    zs_ = new z_stream_s{};
    inflateInit(zs_);
  }
}

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
  if (zs_ != nullptr) {
    inflateEnd(zs_);
    delete zs_;
  }
}

void WsClient::send_frame(std::uint8_t opcode, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
  }
  static std::mt19937 rng{std::random_device{}()};
  char key[4];
  for (char& k : key) k = static_cast<char>(rng());
  f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  write_all(fd_, f);
}

void WsClient::send_text(const std::string& payload) { send_frame(0x1, payload); }

void WsClient::send_close(std::uint16_t code) {
  send_frame(0x8, std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)});
}

void WsClient::drop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  closed_ = true;
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (closed_ || fd_ < 0) return std::nullopt;
    // Parse one complete frame from in_, if there is one.
    if (in_.size() >= 2) {
      const auto* p = reinterpret_cast<const unsigned char*>(in_.data());
      const unsigned op = p[0] & 0x0Fu;
      std::uint64_t len = p[1] & 0x7Fu;
      std::size_t header = 2;
      if (len == 126 && in_.size() >= 4) {
        len = (std::uint64_t{p[2]} << 8) | p[3];
        header = 4;
      } else if (len == 127 && in_.size() >= 10) {
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
        header = 10;
      }
      const bool have = (p[1] & 0x7Fu) < 126 || header > 2;
      if (have && in_.size() >= header + len) {
        std::string payload = in_.substr(header, static_cast<std::size_t>(len));
        in_.erase(0, header + static_cast<std::size_t>(len));
        if (op == 0x8) {
          if (payload.size() >= 2) {
            close_code_ = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                     static_cast<unsigned char>(payload[1]));
          }
          closed_ = true;
          return std::nullopt;
        }
        if (op == 0x9) {
          send_frame(0xA, payload);
          continue;
        }
        if (op != 0x1 && op != 0x2) continue;
        if (zs_ == nullptr) return payload;
        compressed_ += payload;
        if (compressed_.size() < 4 || compressed_.compare(compressed_.size() - 4, 4, std::string("\0\0\xff\xff", 4)) != 0) {
          ++partial_;
          continue;
        }
        std::string text;
        zs_->next_in = reinterpret_cast<Bytef*>(compressed_.data());
        zs_->avail_in = static_cast<uInt>(compressed_.size());
        char buf[65536];
        do {
          zs_->next_out = reinterpret_cast<Bytef*>(buf);
          zs_->avail_out = sizeof buf;
          if (inflate(zs_, Z_SYNC_FLUSH) < 0) return std::nullopt;
          text.append(buf, sizeof buf - zs_->avail_out);
        } while (zs_->avail_out == 0);
        compressed_.clear();
        return text;
      }
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

bool WsClient::fill(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;  // EOF without a close frame (or a reset)
    return false;
  }
  in_.append(buf, static_cast<std::size_t>(n));
  return true;
}

}  // namespace megane::test
