#include "store_wire.hpp"

#include <utility>

namespace megane::detail {

using proto::MessageType;

StoreResult<std::optional<std::string>> get_result(const Reply& reply) {
  using Value = std::optional<std::string>;
  if (!reply.ok()) return store_failure<Value>(reply, MessageType::store_get);
  proto::StoreValue v;
  if (!proto::decode(reply.payload, v)) return undecodable_reply<Value>(MessageType::store_get);
  return store_success<Value>(v.found ? Value(std::move(v.value)) : std::nullopt);
}

StoreResult<bool> applied_result(const Reply& reply, MessageType op) {
  if (!reply.ok()) return store_failure<bool>(reply, op);
  proto::StoreApplied a;
  if (!proto::decode(reply.payload, a)) return undecodable_reply<bool>(op);
  return store_success(a.applied);
}

StoreResult<std::int64_t> integer_result(const Reply& reply) {
  if (!reply.ok()) return store_failure<std::int64_t>(reply, MessageType::store_increment);
  proto::StoreInteger v;
  if (!proto::decode(reply.payload, v)) return undecodable_reply<std::int64_t>(MessageType::store_increment);
  return store_success(v.value);
}

}  // namespace megane::detail
