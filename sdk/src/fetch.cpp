// Worker's fetches: one `fetch` request to meganed, whose per-cluster answers are merged into
// one FetchReply per id by proto::resolve_fetch (the same rule meganectl uses).
#include <megane/sdk/worker.hpp>

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "request_failure.hpp"

namespace megane {
namespace {

std::vector<FetchReply> all_failed(const std::vector<std::uint64_t>& ids, const CommandReply& failure) {
  std::vector<FetchReply> out(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out[i].id = ids[i];
    out[i].status = failure.status;
    out[i].message = failure.message;
  }
  return out;
}

CommandStatus status_of(const proto::FetchOutcome& o) {
  switch (o.status) {
    case proto::FetchStatus::found: return CommandStatus::ok;
    case proto::FetchStatus::not_found: return CommandStatus::not_found;
    case proto::FetchStatus::failed: return detail::status_of(o.failure);
  }
  return CommandStatus::failed;
}

}  // namespace

boost::asio::awaitable<std::vector<FetchReply>> Worker::fetch(proto::FetchKind kind, std::vector<std::uint64_t> ids,
                                                              bool include_members, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) timeout = default_fetch_timeout;
  const std::string what = fmt::format("fetch {}", proto::to_string(kind));
  if (ids.empty()) co_return std::vector<FetchReply>{};
  if (ids.size() > proto::max_fetch_ids) {
    CommandReply r;
    r.status = CommandStatus::failed;
    r.message = fmt::format("{}: {} ids in one fetch; at most {}", what, ids.size(), proto::max_fetch_ids);
    co_return all_failed(ids, r);
  }
  proto::FetchRequest request;
  request.kind = kind;
  request.include_members = include_members;
  request.timeout_ms = static_cast<std::uint32_t>(
      std::min<std::int64_t>(timeout.count(), std::numeric_limits<std::uint32_t>::max()));
  request.ids = ids;
  const Reply reply =
      co_await ipc().request(proto::MessageType::fetch, proto::encode(request), timeout + command_deadline_margin);
  if (!reply.ok()) co_return all_failed(ids, detail::failure_of(reply, what));
  proto::BroadcastReply decoded;
  std::vector<proto::FetchOutcome> outcomes;
  if (!proto::decode(reply.payload, decoded) || !proto::resolve_fetch(ids, decoded, outcomes)) {
    CommandReply r;
    r.status = CommandStatus::failed;
    r.message = fmt::format("{}: meganed sent an undecodable reply", what);
    co_return all_failed(ids, r);
  }
  std::vector<FetchReply> out(outcomes.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    proto::FetchOutcome& o = outcomes[i];
    FetchReply& r = out[i];
    r.id = o.id;
    r.status = status_of(o);
    r.cluster_id = o.cluster_id;
    if (r.ok()) {
      r.data = JsonText(std::move(o.json));
    } else if (r.status == CommandStatus::not_found) {
      r.message = fmt::format("{} {}: not found", proto::to_string(kind), o.id);
    } else {
      r.message = fmt::format("{} {}: {}", proto::to_string(kind), o.id, o.message);
    }
  }
  co_return out;
}

boost::asio::awaitable<FetchReply> Worker::fetch_guild(std::uint64_t id, bool include_members,
                                                       std::chrono::milliseconds timeout) {
  std::vector<std::uint64_t> ids{id};  // named: g++ 12 frees braced temporaries in co_await twice
  std::vector<FetchReply> r = co_await fetch(proto::FetchKind::guild, std::move(ids), include_members, timeout);
  co_return std::move(r.front());
}

boost::asio::awaitable<FetchReply> Worker::fetch_channel(std::uint64_t id, std::chrono::milliseconds timeout) {
  std::vector<std::uint64_t> ids{id};  // named: g++ 12 frees braced temporaries in co_await twice
  std::vector<FetchReply> r = co_await fetch(proto::FetchKind::channel, std::move(ids), false, timeout);
  co_return std::move(r.front());
}

boost::asio::awaitable<FetchReply> Worker::fetch_user(std::uint64_t id, std::chrono::milliseconds timeout) {
  std::vector<std::uint64_t> ids{id};  // named: g++ 12 frees braced temporaries in co_await twice
  std::vector<FetchReply> r = co_await fetch(proto::FetchKind::user, std::move(ids), false, timeout);
  co_return std::move(r.front());
}

boost::asio::awaitable<std::vector<FetchReply>> Worker::fetch_guilds(std::vector<std::uint64_t> ids,
                                                                     bool include_members,
                                                                     std::chrono::milliseconds timeout) {
  co_return co_await fetch(proto::FetchKind::guild, std::move(ids), include_members, timeout);
}

boost::asio::awaitable<std::vector<FetchReply>> Worker::fetch_channels(std::vector<std::uint64_t> ids,
                                                                       std::chrono::milliseconds timeout) {
  co_return co_await fetch(proto::FetchKind::channel, std::move(ids), false, timeout);
}

boost::asio::awaitable<std::vector<FetchReply>> Worker::fetch_users(std::vector<std::uint64_t> ids,
                                                                    std::chrono::milliseconds timeout) {
  co_return co_await fetch(proto::FetchKind::user, std::move(ids), false, timeout);
}

std::optional<std::string> Worker::cached_json(proto::FetchKind, std::uint64_t, bool) const { return std::nullopt; }

}  // namespace megane
