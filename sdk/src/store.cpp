#include <megane/sdk/store.hpp>

#include <charconv>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "store_wire.hpp"

namespace megane {

namespace asio = boost::asio;
using proto::MessageType;

namespace {

template <class T>
using Op = asio::awaitable<StoreResult<T>>;

template <class T>
StoreResult<T> failed(StoreStatus status, std::string message) {
  return detail::store_failure<T>(status, std::move(message));
}

template <class T>
StoreResult<T> success(T value) {
  return detail::store_success(std::move(value));
}

// Every op is a free coroutine taking everything by value: the Store handle that started it
// may be a temporary that is gone by the time the coroutine runs. Payloads are encoded before
// the coroutine starts: g++ 12 destroys a braced aggregate temporary inside a co_await
// expression twice (proto::StoreGet{...} there was a double free).
Op<std::optional<std::string>> get_op(IpcClient* ipc, std::chrono::milliseconds timeout, proto::Bytes payload) {
  const Reply reply = co_await ipc->request(MessageType::store_get, std::move(payload), timeout);
  co_return detail::get_result(reply);
}

// The ops answered with StoreApplied.
Op<bool> applied_op(IpcClient* ipc, std::chrono::milliseconds timeout, MessageType type, proto::Bytes payload) {
  const Reply reply = co_await ipc->request(type, std::move(payload), timeout);
  co_return detail::applied_result(reply, type);
}

Op<std::int64_t> increment_op(IpcClient* ipc, std::chrono::milliseconds timeout, proto::Bytes payload) {
  const Reply reply = co_await ipc->request(MessageType::store_increment, std::move(payload), timeout);
  co_return detail::integer_result(reply);
}

Op<KeyPage> keys_op(IpcClient* ipc, std::chrono::milliseconds timeout, proto::Bytes payload) {
  const Reply reply = co_await ipc->request(MessageType::store_keys, std::move(payload), timeout);
  if (!reply.ok()) co_return detail::store_failure<KeyPage>(reply, MessageType::store_keys);
  proto::StoreKeyPage page;
  if (!proto::decode(reply.payload, page)) co_return detail::undecodable_reply<KeyPage>(MessageType::store_keys);
  KeyPage out;
  out.keys = std::move(page.keys);
  out.next_cursor = std::move(page.next_cursor);
  co_return success(std::move(out));
}

proto::Bytes keys_payload(std::string_view prefix, std::string_view cursor, std::uint32_t count) {
  return proto::encode(proto::StoreKeys{std::string(prefix), std::string(cursor), count});
}

Op<std::vector<std::string>> all_keys_op(IpcClient* ipc, std::chrono::milliseconds timeout, std::string prefix,
                                         std::uint32_t page_size) {
  std::vector<std::string> all;
  std::string cursor;
  do {
    proto::Bytes payload = keys_payload(prefix, cursor, page_size);
    StoreResult<KeyPage> page = co_await keys_op(ipc, timeout, std::move(payload));
    if (!page.ok()) co_return failed<std::vector<std::string>>(page.status, std::move(page.message));
    all.insert(all.end(), std::make_move_iterator(page.value.keys.begin()),
               std::make_move_iterator(page.value.keys.end()));
    cursor = std::move(page.value.next_cursor);
  } while (!cursor.empty());
  co_return success(std::move(all));
}

Op<std::optional<JsonText>> get_json_op(IpcClient* ipc, std::chrono::milliseconds timeout, proto::Bytes payload) {
  StoreResult<std::optional<std::string>> r = co_await get_op(ipc, timeout, std::move(payload));
  if (!r.ok()) co_return failed<std::optional<JsonText>>(r.status, std::move(r.message));
  if (!r.value) co_return success<std::optional<JsonText>>(std::nullopt);
  co_return success<std::optional<JsonText>>(JsonText(std::move(*r.value)));
}

Op<std::optional<std::int64_t>> get_int_op(IpcClient* ipc, std::chrono::milliseconds timeout, proto::Bytes payload,
                                           std::string key) {
  StoreResult<std::optional<std::string>> r = co_await get_op(ipc, timeout, std::move(payload));
  if (!r.ok()) co_return failed<std::optional<std::int64_t>>(r.status, std::move(r.message));
  if (!r.value) co_return success<std::optional<std::int64_t>>(std::nullopt);
  const auto n = detail::parse_store_integer(*r.value);
  if (!n) co_return failed<std::optional<std::int64_t>>(StoreStatus::not_integer,
                                                        fmt::format("the value of '{}' is not an integer", key));
  co_return success<std::optional<std::int64_t>>(*n);
}

template <class T>
Op<T> ready(StoreResult<T> result) {
  co_return result;
}

}  // namespace

std::string_view to_string(StoreStatus status) noexcept {
  switch (status) {
    case StoreStatus::ok: return "ok";
    case StoreStatus::not_integer: return "not an integer";
    case StoreStatus::overflow: return "overflow";
    case StoreStatus::invalid_json: return "invalid JSON";
    case StoreStatus::persistence: return "not persisted";
    case StoreStatus::timeout: return "timed out";
    case StoreStatus::disconnected: return "disconnected";
    case StoreStatus::cancelled: return "cancelled";
    case StoreStatus::failed: return "failed";
  }
  return "unknown";
}

Store::Op<std::optional<std::string>> Store::get(std::string_view key) const {
  return get_op(ipc_, timeout_, detail::key_request(key));
}

Store::Op<bool> Store::set(std::string_view key, std::string_view value, SetOptions options) const {
  return applied_op(ipc_, timeout_, MessageType::store_set,
                    detail::set_request(key, value, options));
}

Store::Op<bool> Store::del(std::string_view key) const {
  return applied_op(ipc_, timeout_, MessageType::store_delete, detail::key_request(key));
}

Store::Op<std::int64_t> Store::increment(std::string_view key, std::int64_t delta) const {
  return increment_op(ipc_, timeout_, detail::increment_request(key, delta));
}

Store::Op<bool> Store::compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                                       std::string_view value, std::chrono::milliseconds ttl) const {
  return applied_op(ipc_, timeout_, MessageType::store_compare_and_set,
                    detail::compare_and_set_request(key, expected, value, ttl));
}

Store::Op<bool> Store::expire(std::string_view key, std::chrono::milliseconds ttl) const {
  return applied_op(ipc_, timeout_, MessageType::store_expire, detail::expire_request(key, ttl));
}

Store::Op<KeyPage> Store::keys(std::string_view prefix, std::string_view cursor, std::uint32_t count) const {
  return keys_op(ipc_, timeout_, keys_payload(prefix, cursor, count));
}

Store::Op<std::vector<std::string>> Store::all_keys(std::string_view prefix, std::uint32_t page_size) const {
  return all_keys_op(ipc_, timeout_, std::string(prefix), page_size);
}

Store::Op<bool> Store::set_json(std::string_view key, std::string_view json_text, SetOptions options) const {
  simdjson::dom::parser parser;
  // An empty view may carry a null pointer, which simdjson would hand to memcpy.
  const auto error = json_text.empty() ? simdjson::EMPTY : parser.parse(json_text.data(), json_text.size()).error();
  if (error != simdjson::SUCCESS) {
    return ready(failed<bool>(StoreStatus::invalid_json,
                              fmt::format("not setting '{}': the value is not valid JSON ({})", key,
                                          simdjson::error_message(error))));
  }
  return set(key, json_text, options);
}

Store::Op<std::optional<JsonText>> Store::get_json(std::string_view key) const {
  return get_json_op(ipc_, timeout_, detail::key_request(key));
}

Store::Op<bool> Store::set_int(std::string_view key, std::int64_t value, SetOptions options) const {
  return set(key, std::to_string(value), options);
}

Store::Op<std::optional<std::int64_t>> Store::get_int(std::string_view key) const {
  return get_int_op(ipc_, timeout_, detail::key_request(key), std::string(key));
}

namespace detail {

std::optional<std::int64_t> parse_store_integer(std::string_view text) noexcept {
  // Canonical decimal only, as the daemon's increment: no '+', no leading zeros, no "-0".
  const std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0') || text == "-0") return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

StoreStatus store_status_of(const Reply& reply, MessageType op) noexcept {
  switch (reply.status) {
    case IpcStatus::ok: return StoreStatus::ok;
    case IpcStatus::timeout: return StoreStatus::timeout;
    case IpcStatus::cancelled: return StoreStatus::cancelled;
    case IpcStatus::unreachable:
    case IpcStatus::disconnected:
    case IpcStatus::protocol_error: return StoreStatus::disconnected;
    case IpcStatus::rejected: break;
  }
  if (reply.error.code == proto::ErrorCode::persistence) return StoreStatus::persistence;
  if (reply.error.code == proto::ErrorCode::malformed && op == MessageType::store_increment) {
    // The wire has one code (malformed) for both; the daemon's text tells them apart.
    return reply.error.message.find("overflow") != std::string::npos ? StoreStatus::overflow
                                                                      : StoreStatus::not_integer;
  }
  return StoreStatus::failed;
}

}  // namespace detail

}  // namespace megane
