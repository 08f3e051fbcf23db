// A small blocking client for the control side of the megane protocol: one request at a time,
// every wait bounded by a deadline. The frame logic is proto's; this only moves bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <megane/proto/frame.hpp>
#include <megane/proto/messages.hpp>

namespace megane::ctl {

using Clock = std::chrono::steady_clock;

enum class CallStatus : std::uint8_t {
  ok,
  unreachable,     // no socket, refused, permission denied, connection lost
  timeout,         // the deadline passed
  rejected,        // the daemon answered with an error frame (see `error`)
  protocol_error,  // the peer does not speak the megane protocol
};

struct CallResult {
  CallStatus status = CallStatus::ok;
  proto::FrameHeader header;  // ok: the frame's header (receive() callers branch on it)
  proto::Bytes payload;     // ok: the reply's payload
  proto::ErrorReply error;  // rejected: the daemon's; otherwise a local description

  bool ok() const noexcept { return status == CallStatus::ok; }
};

class ControlClient {
 public:
  ControlClient() = default;
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Connects and says hello as role control. On ok, `payload` holds the HelloOk bytes.
  CallResult connect(const std::string& socket_path, Clock::time_point deadline);

  // Sends a request and waits for its reply. Pings from the daemon are answered meanwhile.
  CallResult request(proto::MessageType type, proto::ByteView payload, Clock::time_point deadline);

  // Sends one frame without waiting for anything. Request id 0 means no reply is wanted.
  CallResult send(proto::MessageType type, std::uint32_t request_id, proto::ByteView payload,
                  Clock::time_point deadline);
  // The next frame from the daemon that is not a ping (pings are answered), whatever it is:
  // events arrive this way, and replies to requests sent with send().
  CallResult receive(Clock::time_point deadline);
  std::uint32_t next_request_id() noexcept { return next_request_id_++; }

 private:
  enum class Io : std::uint8_t { ok, timeout, closed, bad_frame };

  Io write_all(proto::ByteView bytes, Clock::time_point deadline);
  Io read_frame(proto::FrameView& frame, Clock::time_point deadline);
  CallResult wait_reply(std::uint32_t request_id, Clock::time_point deadline);

  int fd_ = -1;
  proto::FrameAssembler assembler_;
  std::uint32_t next_request_id_ = 2;  // 1 is the hello's
  std::string io_error_;               // errno text of the last failed read/write
};

}  // namespace megane::ctl
