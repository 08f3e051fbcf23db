// The SDK's IPC client (sdk/src/ipc_client.cpp) against a scripted daemon on a real Unix
// socket, all on one io_context: a request gets the reply with its id, one without a reply
// times out at its deadline, and a request that cannot be sent (never connected, closed) is
// answered `disconnected` at once instead of waiting.
#include <unistd.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <megane/proto/frame.hpp>
#include <megane/proto/messages.hpp>
#include <megane/sdk/ipc_client.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "catch.hpp"

namespace {

namespace asio = boost::asio;
namespace proto = megane::proto;
using megane::IpcClient;
using megane::IpcStatus;
using megane::Reply;
using stream = asio::local::stream_protocol;
using namespace std::chrono_literals;

constexpr auto tuple = asio::as_tuple(asio::use_awaitable);

std::shared_ptr<spdlog::logger> quiet_logger() {
  return std::make_shared<spdlog::logger>("ipc-client-test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

std::string socket_path() {
  return (std::filesystem::temp_directory_path() / ("megane-ipc-client-test-" + std::to_string(::getpid()) + ".sock"))
      .string();
}

proto::Bytes bytes(std::string_view text) { return {text.begin(), text.end()}; }

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// Accepts one client, answers its hello, then answers every request with its own payload
// reversed, except a payload "silent", which it never answers.
asio::awaitable<void> scripted_daemon(stream::acceptor& acceptor) {
  stream::socket peer = co_await acceptor.async_accept(asio::use_awaitable);
  proto::FrameAssembler in;
  for (;;) {
    proto::FrameView f;
    const proto::HeaderStatus st = in.next(f);
    if (st == proto::HeaderStatus::need_more) {
      auto space = in.prepare();
      const auto [ec, n] = co_await peer.async_read_some(asio::buffer(space.data(), space.size()), tuple);
      if (ec) co_return;  // the client closed
      in.commit(n);
      continue;
    }
    REQUIRE(st == proto::HeaderStatus::ok);
    proto::Bytes out;
    if (f.header.type == proto::MessageType::hello) {
      proto::append_frame(out, proto::MessageType::hello_ok, static_cast<std::uint16_t>(proto::FrameFlags::reply),
                          f.header.request_id, proto::encode(proto::HelloOk{}));
    } else if (std::string(f.payload.begin(), f.payload.end()) != "silent") {
      proto::Bytes answer(f.payload.rbegin(), f.payload.rend());
      proto::append_frame(out, f.header.type, static_cast<std::uint16_t>(proto::FrameFlags::reply),
                          f.header.request_id, answer);
    }
    if (!out.empty()) co_await asio::async_write(peer, asio::buffer(out), tuple);
  }
}

// The socket's path, with whatever an earlier run left there removed.
stream::endpoint fresh_endpoint(const std::string& path) {
  std::filesystem::remove(path);
  return stream::endpoint(path);
}

// One io_context with the scripted daemon listening and a client for it; finish() is what a
// test's coroutine completion calls, so that whatever happened nothing keeps the loop waiting.
struct Rig {
  Rig() : path(socket_path()), acceptor(io, fresh_endpoint(path)) {
    asio::co_spawn(io, scripted_daemon(acceptor), asio::detached);
  }
  ~Rig() { std::filesystem::remove(path); }

  void finish(std::exception_ptr e) {
    failed = e;
    acceptor.close();
    client.close();
  }
  void run() {
    io.run();
    rethrow(failed);
  }

  asio::io_context io;
  std::string path;
  stream::acceptor acceptor;
  IpcClient client{io.get_executor(), quiet_logger()};
  std::exception_ptr failed;
};

}  // namespace

TEST_CASE("ipc client: a request before connecting is answered disconnected, from the loop", "[unit][sdk][ipc]") {
  asio::io_context io;
  IpcClient client(io.get_executor(), quiet_logger());
  std::optional<Reply> got;
  bool loop_ran_first = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Queued before the request: it runs before the answer only if the answer is posted.
        asio::post(io, [&] { loop_ran_first = true; });
        got = co_await client.request(proto::MessageType::store_get, bytes("x"), 10s);
      },
      rethrow);
  io.run();
  REQUIRE(got);
  CHECK(got->status == IpcStatus::disconnected);
  CHECK(got->error.message == "not connected to meganed");
  CHECK(loop_ran_first);
}

TEST_CASE("ipc client: a moved-from client answers a request disconnected instead of crashing", "[unit][sdk][ipc]") {
  asio::io_context io;
  IpcClient client(io.get_executor(), quiet_logger());
  IpcClient other = std::move(client);
  std::optional<Reply> got;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { got = co_await client.request(proto::MessageType::store_get, bytes("x"), 10s); },
      rethrow);
  io.run();
  REQUIRE(got);
  CHECK(got->status == IpcStatus::disconnected);
}

TEST_CASE("ipc client: replies by id, a deadline without a reply, and requests after close()", "[unit][sdk][ipc]") {
  Rig rig;
  IpcClient& client = rig.client;
  std::vector<Reply> got;
  asio::co_spawn(
      rig.io,
      [&]() -> asio::awaitable<void> {
        proto::Hello hello;  // a named value: g++ 12 mishandles aggregate temporaries in co_await calls
        const megane::HandshakeResult shaken = co_await client.connect(rig.path, hello);
        REQUIRE(shaken.ok());
        got.push_back(co_await client.request(proto::MessageType::store_get, bytes("abc"), 10s));
        got.push_back(co_await client.request(proto::MessageType::store_get, bytes("silent"), 50ms));
        got.push_back(co_await client.request(proto::MessageType::store_get, bytes("xyz"), 10s));
        client.close();
        got.push_back(co_await client.request(proto::MessageType::store_get, bytes("late"), 10s));
      },
      [&](std::exception_ptr e) { rig.finish(e); });
  rig.run();

  REQUIRE(got.size() == 4);
  CHECK(got[0].ok());
  CHECK(got[0].payload == bytes("cba"));
  CHECK(got[1].status == IpcStatus::timeout);
  CHECK(got[2].ok());
  CHECK(got[2].payload == bytes("zyx"));  // the silent one's id did not confuse the next
  CHECK(got[3].status == IpcStatus::disconnected);
}

TEST_CASE("ipc client: cancelling the awaiting coroutine answers its request cancelled", "[unit][sdk][ipc]") {
  Rig rig;
  asio::cancellation_signal cancel;
  std::optional<Reply> got;
  asio::co_spawn(
      rig.io,
      [&]() -> asio::awaitable<void> {
        proto::Hello hello;
        const megane::HandshakeResult shaken = co_await rig.client.connect(rig.path, hello);
        REQUIRE(shaken.ok());
        // Never answered; the signal below ends the wait long before the deadline.
        asio::post(rig.io, [&] { cancel.emit(asio::cancellation_type::terminal); });
        got = co_await rig.client.request(proto::MessageType::store_get, bytes("silent"), 30s);
      },
      asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) { rig.finish(e); }));
  const auto started = std::chrono::steady_clock::now();
  rig.run();
  REQUIRE(got);
  CHECK(got->status == IpcStatus::cancelled);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}
