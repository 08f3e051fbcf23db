// The central key/value store hosted by meganed (docs/store.md), as seen from a worker
// (`store()`) or any other IpcClient. Every op is one request over the worker's connection,
// answered by the daemon after a write is durable as configured. Expected failures (not an
// integer, write not persisted, timeout, disconnected) are values in Result, never exceptions.
//
//   auto hits = co_await store().increment("hits");
//   if (hits.ok()) logger().info("hit #{}", *hits);
//   auto name = co_await store().get("owner");     // Result<std::optional<std::string>>
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include <megane/proto/store_messages.hpp>
#include <megane/sdk/ipc_client.hpp>
#include <megane/sdk/json_text.hpp>

namespace megane {

inline constexpr std::chrono::milliseconds default_store_timeout{10'000};

enum class StoreStatus : std::uint8_t {
  ok,
  not_integer,   // increment / get_int: the value is not the decimal text of an int64
  overflow,      // increment: the result would not fit an int64 (nothing changed)
  invalid_json,  // set_json: the text is not one valid JSON value (nothing was sent)
  persistence,   // the daemon could not make the write durable: it was NOT acknowledged
  timeout,       // no answer in time: a write may or may not have been applied
  disconnected,  // not connected to meganed (the process is stopping)
  cancelled,     // the awaiting coroutine was cancelled
  failed,        // the daemon refused the request for another reason: see `message`
};

std::string_view to_string(StoreStatus status) noexcept;

// A value or why there is none. `value` is meaningful only when ok().
template <class T>
struct StoreResult {
  StoreStatus status = StoreStatus::ok;
  T value{};
  std::string message;  // not ok: what went wrong, for people

  bool ok() const noexcept { return status == StoreStatus::ok; }
  const T& operator*() const& noexcept { return value; }
  T& operator*() & noexcept { return value; }
  const T* operator->() const noexcept { return &value; }
};

using SetCondition = proto::StoreCondition;  // always, if_absent, if_present

struct SetOptions {
  std::chrono::milliseconds ttl{0};               // > 0: the key expires after it; else no expiry
  SetCondition condition = SetCondition::always;  // a plain set also clears an old expiry
};

struct KeyPage {
  std::vector<std::string> keys;  // ascending byte order, at most `count`, possibly none
  std::string next_cursor;        // "" = the scan is complete

  bool done() const noexcept { return next_cursor.empty(); }
};

// A cheap handle (a pointer and a timeout): copy it freely. The IpcClient must outlive every
// op in flight. All ops run on the client's executor; several may be in flight at once.
// Keys and values are taken as views and encoded into the request when the op is called, so
// they need not outlive the call (`co_await store.get(fmt::format(...))` is fine).
class Store {
 public:
  explicit Store(IpcClient& ipc, std::chrono::milliseconds timeout = default_store_timeout) noexcept
      : ipc_(&ipc), timeout_(timeout) {}

  // The same store with another per-op deadline: co_await store().with_timeout(2s).get(k).
  Store with_timeout(std::chrono::milliseconds timeout) const noexcept { return Store(*ipc_, timeout); }
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

  template <class T>
  using Op = boost::asio::awaitable<StoreResult<T>>;

  // The value, or nullopt when the key is absent (or expired).
  Op<std::optional<std::string>> get(std::string_view key) const;
  // True when written; false when options.condition was not met (nothing changed).
  Op<bool> set(std::string_view key, std::string_view value, SetOptions options = {}) const;
  // True when the key existed and is gone now.
  Op<bool> del(std::string_view key) const;
  // Adds `delta` to the integer value (an absent key counts as 0) and returns the new value;
  // not_integer / overflow leave the key unchanged. The key's expiry is kept.
  Op<std::int64_t> increment(std::string_view key, std::int64_t delta = 1) const;
  // Writes `value` only if the current value equals `expected` byte for byte (nullopt: only if
  // the key is absent). True when written. `ttl` as in SetOptions.
  Op<bool> compare_and_set(std::string_view key, std::optional<std::string_view> expected, std::string_view value,
                           std::chrono::milliseconds ttl = {}) const;
  // ttl > 0: the key expires ttl from now; ttl <= 0: it no longer expires. False when absent.
  Op<bool> expire(std::string_view key, std::chrono::milliseconds ttl) const;
  // One page of live keys starting with `prefix`; pass the previous page's next_cursor to
  // continue. `count` is clamped to 1..1000 by the daemon.
  Op<KeyPage> keys(std::string_view prefix = {}, std::string_view cursor = {}, std::uint32_t count = 100) const;
  // Every page of keys(prefix), concatenated (each page has its own deadline). Keys that exist
  // for the whole walk are listed exactly once (docs/store.md#scanning-keys).
  Op<std::vector<std::string>> all_keys(std::string_view prefix = {}, std::uint32_t page_size = 1000) const;

  // JSON values: set_json refuses text that is not one valid JSON value (invalid_json, nothing
  // sent); get_json hands the stored text back as a JsonText (text() and a simdjson DOM).
  Op<bool> set_json(std::string_view key, std::string_view json_text, SetOptions options = {}) const;
  Op<std::optional<JsonText>> get_json(std::string_view key) const;
  // Integer values, stored as decimal text (so increment() works on them). get_int answers
  // not_integer when the stored value is something else.
  Op<bool> set_int(std::string_view key, std::int64_t value, SetOptions options = {}) const;
  Op<std::optional<std::int64_t>> get_int(std::string_view key) const;

 private:
  friend class StoreBatch;  // sends on ipc_ (store_batch.hpp)
  IpcClient* ipc_;
  std::chrono::milliseconds timeout_;
};

namespace detail {

// Pure helpers, unit-testable: the canonical int64 text the daemon's increment accepts, and
// the StoreStatus of a failed request (`op` is the request's type).
std::optional<std::int64_t> parse_store_integer(std::string_view text) noexcept;
StoreStatus store_status_of(const Reply& reply, proto::MessageType op) noexcept;

}  // namespace detail

}  // namespace megane
