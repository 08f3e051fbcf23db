// What the store's ops put on the wire and how their replies become typed results, shared by
// the single ops (store.cpp) and batches (store_batch.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <megane/sdk/store.hpp>

namespace megane::detail {

// A TTL as the wire carries it: milliseconds, 0 = none.
inline std::uint64_t ttl_ms(std::chrono::milliseconds ttl) noexcept {
  return ttl.count() > 0 ? static_cast<std::uint64_t>(ttl.count()) : 0;
}

template <class T>
StoreResult<T> store_failure(StoreStatus status, std::string message) {
  StoreResult<T> r;
  r.status = status;
  r.message = std::move(message);
  return r;
}

// Request payloads, shared by Store and StoreBatch: keys and values encoded from views.
inline proto::Bytes key_request(std::string_view key) { return proto::encode(proto::StoreKeyView{key}); }
inline proto::Bytes set_request(std::string_view key, std::string_view value, const SetOptions& options) {
  return proto::encode(proto::StoreSetView{key, value, ttl_ms(options.ttl), options.condition});
}
inline proto::Bytes increment_request(std::string_view key, std::int64_t delta) {
  return proto::encode(proto::StoreIncrementView{key, delta});
}
inline proto::Bytes compare_and_set_request(std::string_view key, std::optional<std::string_view> expected,
                                            std::string_view value, std::chrono::milliseconds ttl) {
  return proto::encode(proto::StoreCompareAndSetView{key, expected, value, ttl_ms(ttl)});
}
inline proto::Bytes expire_request(std::string_view key, std::chrono::milliseconds ttl) {
  return proto::encode(proto::StoreExpireView{key, ttl_ms(ttl)});
}

// A failed request: its StoreStatus, and the daemon's message or else what went wrong here.
template <class T>
StoreResult<T> store_failure(const Reply& reply, proto::MessageType op) {
  return store_failure<T>(store_status_of(reply, op), reply.error.message.empty()
                                                          ? fmt::format("{}: {}", proto::to_string(op), to_string(reply.status))
                                                          : reply.error.message);
}

template <class T>
StoreResult<T> undecodable_reply(proto::MessageType op) {
  return store_failure<T>(StoreStatus::failed,
                          fmt::format("meganed sent an undecodable reply to {}", proto::to_string(op)));
}

template <class T>
StoreResult<T> store_success(T value) {
  StoreResult<T> r;
  r.value = std::move(value);
  return r;
}

// store_get: the value, or nullopt for an absent key.
StoreResult<std::optional<std::string>> get_result(const Reply& reply);
// The ops answered with StoreApplied (set, delete, compare-and-set, expire); `op` is the
// request's type.
StoreResult<bool> applied_result(const Reply& reply, proto::MessageType op);
// store_increment: the new value.
StoreResult<std::int64_t> integer_result(const Reply& reply);

}  // namespace megane::detail
