// fakecord's network side behind a pimpl: nothing that includes this header sees Asio or Beast.
#pragma once

#include <cstdint>
#include <memory>

#include "fakecord/options.hpp"

namespace fakecord {

struct Ports {
  std::uint16_t gateway = 0;
  std::uint16_t api = 0;
  std::uint16_t control = 0;
  std::uint16_t resume = 0;
};

class Server {
 public:
  explicit Server(const Options& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the four listeners on 127.0.0.1 (port, port+1, port+2, port+3, or kernel-chosen for
  // port 0). Throws std::runtime_error when a port cannot be bound or TLS cannot be set up.
  Ports listen();
  // Serves until SIGINT or SIGTERM, then closes every connection (1001) and returns.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fakecord
