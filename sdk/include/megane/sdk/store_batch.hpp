// Store ops sent together and answered together: Redis's pipelining, for the central store.
// A batch writes all its requests back to back and suspends the caller once for all the
// answers, where awaiting the same ops one by one (or from N coroutines) costs a coroutine,
// a waiter and a resumption each. For many small ops that is most of the client's CPU
// (docs/benchmarks.md); use it to load, copy or check many keys at once.
//
//   megane::StoreBatch batch(store());
//   auto owner = batch.get("owner");
//   auto hits = batch.increment("hits");
//   const megane::StoreBatchResults r = co_await batch.run();
//   if (r[hits].ok()) logger().info("hit #{}", *r[hits]);
//
// The daemon runs the ops in the order they were added, each atomic on its own; the batch as
// a whole is not a transaction (another client's op may run between two of them). Each op
// has the Store's deadline, and each result is what the same op of Store would have answered.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include <megane/sdk/ipc_client.hpp>
#include <megane/sdk/store.hpp>

namespace megane {

class StoreBatchResults;

class StoreBatch {
 public:
  // Where one op's result will be in the StoreBatchResults of the run() that sent it.
  template <class T>
  struct Slot {
    std::size_t index = 0;
  };

  explicit StoreBatch(Store store) noexcept : store_(store) {}

  // The same ops as Store's, queued (encoded now: the views need not outlive the call).
  Slot<std::optional<std::string>> get(std::string_view key);
  Slot<bool> set(std::string_view key, std::string_view value, SetOptions options = {});
  Slot<bool> del(std::string_view key);
  Slot<std::int64_t> increment(std::string_view key, std::int64_t delta = 1);
  Slot<bool> compare_and_set(std::string_view key, std::optional<std::string_view> expected, std::string_view value,
                             std::chrono::milliseconds ttl = {});
  Slot<bool> expire(std::string_view key, std::chrono::milliseconds ttl);

  std::size_t size() const noexcept { return requests_.size(); }
  bool empty() const noexcept { return requests_.empty(); }

  // Sends the queued ops and waits for all their results. The batch is empty again as soon
  // as run() is called (fill it for the next round meanwhile); the slots handed out so far
  // index the results of this run only.
  boost::asio::awaitable<StoreBatchResults> run();

 private:
  template <class T>
  Slot<T> queue(proto::MessageType type, proto::Bytes payload);
  // run()'s coroutine: owns what it sends, since the batch may be refilled (or gone) meanwhile.
  static boost::asio::awaitable<StoreBatchResults> send(IpcClient* ipc, std::chrono::milliseconds timeout,
                                                        std::vector<BatchRequest> requests);

  Store store_;
  std::vector<BatchRequest> requests_;
};

class StoreBatchResults {
 public:
  // The result of the op behind `slot`. A slot of another run is a programming error: an
  // index past the end or of another type throws std::out_of_range / std::bad_variant_access.
  template <class T>
  const StoreResult<T>& operator[](StoreBatch::Slot<T> slot) const {
    return std::get<StoreResult<T>>(results_.at(slot.index));
  }
  std::size_t size() const noexcept { return results_.size(); }
  // True when every op succeeded (a set whose condition was not met still succeeded).
  bool all_ok() const noexcept;

 private:
  friend class StoreBatch;
  using Entry = std::variant<StoreResult<std::optional<std::string>>, StoreResult<bool>, StoreResult<std::int64_t>>;
  std::vector<Entry> results_;
};

}  // namespace megane
