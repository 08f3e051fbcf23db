// Commands between megane processes: what a worker sends (to one service, or to clusters) and
// what it receives (a CommandRequest, answered with a CommandResult). Data is JSON text by
// convention; the daemon routes it without parsing. Expected failures (no such service,
// timeout, the target exited) are values here, never exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/protocol.hpp>
#include <megane/sdk/json_text.hpp>

namespace megane {

// The default of meganed's ipc.request_timeout, which applies to commands sent without a
// timeout of their own (CommandOptions::timeout = 0, the default).
inline constexpr std::chrono::milliseconds default_command_timeout{10'000};

struct CommandOptions {
  // Receptive: wait for the target's answer. Not receptive: fire and forget; the call returns
  // as soon as the frame is queued and nothing ever answers (the daemon still delivers one
  // sender's commands in order).
  bool receptive = true;
  // How long the target has to answer; the daemon enforces it. Zero (the default): meganed's
  // ipc.request_timeout, as the config says at the moment the command arrives (default 10 s).
  // The SDK gives up on its own a moment after the daemon's deadline (command_deadline_margin
  // past `timeout`, or past the longest ipc.request_timeout a config may set when it is zero:
  // only a hung meganed is waited for that long), so a call never waits forever.
  std::chrono::milliseconds timeout{0};
};

// Extra time the SDK waits past CommandOptions::timeout for the daemon's own timeout answer.
inline constexpr std::chrono::milliseconds command_deadline_margin{1'000};

// Which clusters a cluster command goes to.
class Target {
 public:
  static Target all() noexcept { return {proto::CommandTarget::all, 0}; }
  static Target cluster(std::uint32_t cluster_id) noexcept {
    return {proto::CommandTarget::cluster, cluster_id};
  }
  // The cluster owning shard (guild_id >> 22) % total_shards.
  static Target guild(std::uint64_t guild_id) noexcept { return {proto::CommandTarget::guild, guild_id}; }

  proto::CommandTarget kind() const noexcept { return kind_; }
  std::uint64_t id() const noexcept { return id_; }

 private:
  Target(proto::CommandTarget kind, std::uint64_t id) noexcept : kind_(kind), id_(id) {}

  proto::CommandTarget kind_;
  std::uint64_t id_;
};

enum class CommandStatus : std::uint8_t {
  ok,             // answered: `data` holds the answer
  rejected,       // the target answered with an error: `message` holds its text
  not_found,      // no such service or cluster
  unavailable,    // the target exists but is not connected (starting, restarting, quarantined)
  timeout,        // no answer before the deadline
  target_exited,  // the target process exited before answering
  disconnected,   // this process is not connected to meganed (it is stopping)
  cancelled,      // the awaiting coroutine was cancelled
  failed,         // anything else (the daemon refused the request): see `message`
};

std::string_view to_string(CommandStatus status) noexcept;

// The answer of one target.
struct CommandReply {
  CommandStatus status = CommandStatus::ok;
  JsonText data;        // ok: the answer (JSON text by convention); empty for fire-and-forget
  std::string message;  // not ok: what went wrong, for people

  bool ok() const noexcept { return status == CommandStatus::ok; }
};

// One cluster's answer to a cluster command.
struct ClusterReply : CommandReply {
  std::uint32_t cluster_id = 0;
};

struct ClusterCommandReply {
  // ok: the daemon routed the command and `results` has one entry per target cluster, in
  // cluster id order (empty when not receptive). Otherwise the command as a whole failed
  // (e.g. not_found for an unknown cluster id) and `message` says why.
  CommandStatus status = CommandStatus::ok;
  std::string message;
  std::vector<ClusterReply> results;

  // True when the command was routed and every target answered without error.
  bool ok() const noexcept;
};

// A command delivered to this process. handle_command() gets it by reference; the request
// (and the DOM json() returns) lives until the handler's awaitable completes.
struct CommandRequest {
  proto::Role origin_role = proto::Role::control;  // who sent it: a cluster, a service, meganectl
  std::uint32_t origin_cluster = 0;                // origin_role cluster
  std::string origin_service;                      // origin_role service
  bool receptive = true;                           // false: nobody reads the result
  JsonText data;

  const std::string& text() const noexcept { return data.text(); }
  simdjson::simdjson_result<simdjson::dom::element> json() const { return data.json(); }
  // "cluster 3", "service 'stats'", "control": for logs.
  std::string origin() const;
};

// What handle_command() answers: JSON text, or an error message the sender receives as
// CommandStatus::rejected.
class CommandResult {
 public:
  static CommandResult ok(std::string json_text) { return CommandResult(false, std::move(json_text)); }
  static CommandResult error(std::string message) { return CommandResult(true, std::move(message)); }

  bool is_error() const noexcept { return error_; }
  // The answer (ok) or the error message.
  const std::string& text() const noexcept { return text_; }

 private:
  CommandResult(bool error, std::string text) noexcept : error_(error), text_(std::move(text)) {}

  bool error_;
  std::string text_;
};

namespace detail {

// Pure mappings from the wire to the values above; unit-tested.
CommandStatus status_of(proto::ErrorCode code) noexcept;
CommandStatus status_of(proto::TargetStatus status) noexcept;
ClusterReply reply_of(proto::TargetResult result);

}  // namespace detail

}  // namespace megane
