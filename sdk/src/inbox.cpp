#include "inbox.hpp"

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/fetch_messages.hpp>

#include "exception_text.hpp"

namespace megane::detail {
namespace {

namespace asio = boost::asio;
using proto::MessageType;

constexpr std::chrono::milliseconds subscribe_timeout{10'000};

proto::ByteView bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

Inbox::Inbox(Worker& worker, IpcClient& ipc, asio::io_context& io,
             std::shared_ptr<spdlog::logger> logger)
    : worker_(worker),
      ipc_(ipc),
      io_(io),
      logger_(std::move(logger)),
      runners_(io, logger_, [this](Delivery& d) { return handle(d); }) {}

void Inbox::dispatch(const proto::FrameHeader& header, proto::ByteView payload) {
  if (header.type == MessageType::command_deliver) {
    deliver(header, payload);
  } else if (header.type == MessageType::event) {
    event(payload);
  } else if (header.type == MessageType::stats_request) {
    stats(header, payload);
  } else if (header.type == MessageType::fetch_deliver) {
    fetch(header, payload);
  } else {
    // Newer daemons may send types this SDK does not know: not an error.
    logger_->debug("ignoring IPC frame of type {:#06x} ({})", static_cast<unsigned>(header.type),
                   proto::to_string(header.type));
  }
}

void Inbox::deliver(const proto::FrameHeader& header, proto::ByteView payload) {
  proto::CommandDeliver d;
  if (!proto::decode(payload, d)) {
    logger_->warn("meganed delivered an undecodable command ({} bytes); dropped", payload.size());
    if (header.request_id != 0) {
      ipc_.send_reply(MessageType::command_result, header.request_id,
                      proto::encode(proto::ErrorReply{proto::ErrorCode::malformed,
                                                      "the command_deliver payload does not decode"}),
                      /*error=*/true);
    }
    return;
  }
  if (stopping_) return;  // the connection closes soon; the sender sees target_exited
  Delivery delivery;
  delivery.request_id = header.request_id;
  CommandRequest& request = delivery.request;
  request.origin_role = d.origin_role;
  request.origin_cluster = d.origin_cluster;
  request.origin_service = std::move(d.origin_service);
  request.receptive = d.receptive && header.request_id != 0;
  request.data = JsonText(std::move(d.data));
  runners_.run(std::move(delivery));
}

asio::awaitable<void> Inbox::handle(Delivery& delivery) {
  const CommandRequest& request = delivery.request;
  std::optional<CommandResult> result;
  try {
    result = co_await worker_.handle_command(request);
  } catch (const boost::system::system_error& e) {
    if (stopping_ && e.code() == asio::error::operation_aborted) co_return;  // cancelled by stop
    logger_->error("handle_command() threw on a command from {}: {}", request.origin(), e.what());
    result = CommandResult::error(e.what());
  } catch (const std::exception& e) {
    logger_->error("handle_command() threw on a command from {}: {}", request.origin(), e.what());
    result = CommandResult::error(e.what());
  } catch (...) {
    logger_->error("handle_command() threw a non-exception on a command from {}", request.origin());
    result = CommandResult::error("the command handler failed");
  }
  answer(delivery.request_id, request, *result);
}

void Inbox::answer(std::uint32_t request_id, const CommandRequest& request,
                   const CommandResult& result) {
  if (request_id == 0) {
    // Nobody waits for this result: an error would vanish without this line.
    if (result.is_error()) {
      logger_->warn("command from {} failed (fire-and-forget, so only logged): {}", request.origin(),
                    result.text());
    }
    return;
  }
  bool sent = false;
  if (result.is_error()) {
    sent = ipc_.send_reply(MessageType::command_result, request_id,
                           proto::encode(proto::ErrorReply{proto::ErrorCode::rejected, result.text()}),
                           /*error=*/true);
  } else {
    sent = ipc_.send_reply(MessageType::command_result, request_id, bytes_of(result.text()));
  }
  if (!sent && ipc_.connected()) {
    // Over the frame limit or a full write queue (logged by the client): say so instead of
    // letting the sender wait for its deadline.
    ipc_.send_reply(MessageType::command_result, request_id,
                    proto::encode(proto::ErrorReply{proto::ErrorCode::rejected,
                                                    "the answer could not be sent (too large?)"}),
                    /*error=*/true);
  }
}

void Inbox::event(proto::ByteView payload) {
  proto::Event e;
  if (!proto::decode(payload, e)) {
    logger_->warn("meganed sent an undecodable event ({} bytes); dropped", payload.size());
    return;
  }
  // Each callback on its own: one that throws must not hide the event from the other.
  auto guarded = [&](const char* what, auto&& call) {
    try {
      call();
    } catch (const std::exception& ex) {
      logger_->error("{} threw on event {}: {}", what, proto::to_string(e.kind), ex.what());
    }
  };
  if (e.kind == proto::EventKind::all_clusters_ready) {
    guarded("all_clusters_ready()", [&] { worker_.all_clusters_ready(); });
  } else if (e.kind == proto::EventKind::all_members_cached) {
    guarded("all_clusters_members_cached()", [&] { worker_.all_clusters_members_cached(); });
  }
  guarded("on_event()", [&] { worker_.on_event(e.kind, e.json); });
}

void Inbox::stats(const proto::FrameHeader& header, proto::ByteView payload) {
  proto::StatsRequest request;
  if (!proto::decode(payload, request) || header.request_id == 0) {
    logger_->warn("meganed sent an undecodable stats request ({} bytes); dropped", payload.size());
    return;
  }
  proto::WorkerStats report;
  worker_.collect_sdk_stats(report);
  // The bot's part: a JSON object, checked here so a mistake is logged where it was made.
  try {
    std::string custom = worker_.get_stats();
    if (!custom.empty()) {
      const JsonText text(std::move(custom));
      if (text.json().error() != simdjson::SUCCESS || !text.json().value_unsafe().is_object()) {
        if (!warned_bad_stats_) {
          logger_->warn("get_stats() did not return a JSON object; custom stats are left out (logged once)");
          warned_bad_stats_ = true;
        }
      } else {
        report.custom_json = text.text();
      }
    }
  } catch (const std::exception& e) {
    logger_->warn("get_stats() threw: {}; custom stats are left out of collection {}", e.what(), request.collection);
  }
  ipc_.send_reply(MessageType::stats_report, header.request_id, proto::encode(report));
}

void Inbox::fetch(const proto::FrameHeader& header, proto::ByteView payload) {
  if (header.request_id == 0) return;
  proto::FetchRequestView request;
  if (!proto::decode(payload, request)) {
    logger_->warn("meganed delivered an undecodable fetch ({} bytes); dropped", payload.size());
    ipc_.send_reply(MessageType::fetch_result, header.request_id,
                    proto::encode(proto::ErrorReply{proto::ErrorCode::malformed, "the fetch does not decode"}),
                    /*error=*/true);
    return;
  }
  // Answered at once from this loop's cache: nothing to await, so no coroutine.
  proto::FetchEntries found;
  try {
    for (std::uint32_t i = 0; i < request.count; ++i) {
      const std::uint64_t id = request.id(i);
      if (auto json = worker_.cached_json(request.kind, id, request.include_members)) {
        found.entries.push_back(proto::FetchEntry{id, std::move(*json)});
      }
    }
  } catch (const std::exception& e) {
    // The cache cannot tell a miss from a gap: an error, so nobody reads "not found".
    ipc_.send_reply(MessageType::fetch_result, header.request_id,
                    proto::encode(proto::ErrorReply{proto::ErrorCode::unavailable, e.what()}), /*error=*/true);
    return;
  }
  if (found.entries.empty()) {
    ipc_.send_reply(MessageType::fetch_result, header.request_id,
                    proto::encode(proto::ErrorReply{proto::ErrorCode::not_found, "not cached here"}),
                    /*error=*/true);
    return;
  }
  if (!ipc_.send_reply(MessageType::fetch_result, header.request_id, proto::encode(found)) && ipc_.connected()) {
    ipc_.send_reply(MessageType::fetch_result, header.request_id,
                    proto::encode(proto::ErrorReply{proto::ErrorCode::rejected, "the answer could not be sent (too large?)"}),
                    /*error=*/true);
  }
}

void Inbox::subscribe() {
  const std::uint32_t mask = proto::event_bit(proto::EventKind::all_clusters_ready) |
                             proto::event_bit(proto::EventKind::all_members_cached) | worker_.event_mask();
  asio::co_spawn(io_, request_events(mask), [log = logger_](std::exception_ptr e) {
    if (e) log->error("subscribing to events failed: {}", exception_text(e));
  });
}

asio::awaitable<void> Inbox::request_events(std::uint32_t mask) {
  const Reply r = co_await ipc_.request(MessageType::subscribe, proto::encode(proto::Subscribe{mask}),
                                        subscribe_timeout);
  if (r.ok()) {
    logger_->debug("subscribed to events (mask {:#x})", mask);
  } else if (!stopping_ && ipc_.connected()) {
    logger_->warn("cannot subscribe to meganed's events ({}): all_clusters_ready() and on_event() "
                  "will not be called",
                  r.status == IpcStatus::rejected ? r.error.message
                                                  : std::string(to_string(r.status)));
  }
}

void Inbox::cancel_all() {
  stopping_ = true;
  runners_.cancel_all();
}

}  // namespace megane::detail
