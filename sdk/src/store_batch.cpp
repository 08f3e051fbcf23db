#include <megane/sdk/store_batch.hpp>

#include <utility>

#include "store_wire.hpp"

namespace megane {

using proto::MessageType;

template <class T>
StoreBatch::Slot<T> StoreBatch::queue(MessageType type, proto::Bytes payload) {
  requests_.push_back(BatchRequest{type, std::move(payload)});
  return Slot<T>{requests_.size() - 1};
}

StoreBatch::Slot<std::optional<std::string>> StoreBatch::get(std::string_view key) {
  return queue<std::optional<std::string>>(MessageType::store_get, detail::key_request(key));
}

StoreBatch::Slot<bool> StoreBatch::set(std::string_view key, std::string_view value, SetOptions options) {
  return queue<bool>(MessageType::store_set,
                     detail::set_request(key, value, options));
}

StoreBatch::Slot<bool> StoreBatch::del(std::string_view key) {
  return queue<bool>(MessageType::store_delete, detail::key_request(key));
}

StoreBatch::Slot<std::int64_t> StoreBatch::increment(std::string_view key, std::int64_t delta) {
  return queue<std::int64_t>(MessageType::store_increment, detail::increment_request(key, delta));
}

StoreBatch::Slot<bool> StoreBatch::compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                                                   std::string_view value, std::chrono::milliseconds ttl) {
  return queue<bool>(MessageType::store_compare_and_set,
                     detail::compare_and_set_request(key, expected, value, ttl));
}

StoreBatch::Slot<bool> StoreBatch::expire(std::string_view key, std::chrono::milliseconds ttl) {
  return queue<bool>(MessageType::store_expire, detail::expire_request(key, ttl));
}

boost::asio::awaitable<StoreBatchResults> StoreBatch::send(IpcClient* ipc, std::chrono::milliseconds timeout,
                                                           std::vector<BatchRequest> requests) {
  std::vector<MessageType> types;
  types.reserve(requests.size());
  for (const BatchRequest& r : requests) types.push_back(r.type);
  const std::vector<Reply> replies = co_await ipc->request_batch(std::move(requests), timeout);
  StoreBatchResults out;
  out.results_.reserve(replies.size());
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const MessageType type = types[i];
    if (type == MessageType::store_get) out.results_.emplace_back(detail::get_result(replies[i]));
    else if (type == MessageType::store_increment) out.results_.emplace_back(detail::integer_result(replies[i]));
    else out.results_.emplace_back(detail::applied_result(replies[i], type));
  }
  co_return out;
}

boost::asio::awaitable<StoreBatchResults> StoreBatch::run() {
  return send(store_.ipc_, store_.timeout(), std::exchange(requests_, {}));
}

bool StoreBatchResults::all_ok() const noexcept {
  for (const Entry& e : results_) {
    if (!std::visit([](const auto& r) { return r.ok(); }, e)) return false;
  }
  return true;
}

}  // namespace megane
