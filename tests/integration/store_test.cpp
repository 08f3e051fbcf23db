// The central store end to end: every op over the real socket, concurrency, durability across
// SIGTERM and kill -9, log corruption at start, meganectl store, and the SDK from a real bot
// (tests/fixtures/store_bot). docs/store.md states the guarantees these tests check.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <megane/proto/messages.hpp>
#include <megane/proto/store_messages.hpp>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;
using proto::MessageType;

namespace {

std::string config(const std::string& bot, const std::string& fsync, const std::string& extra = "") {
  return R"(name = "store-test"
[bot]
executable = "@BIN@/)" + bot + R"("
)" + extra + R"([sharding]
shards = 1
clusters = 1
[supervision]
backoff_initial = "100ms"
[ipc]
socket = "@SOCKET@"
[store]
fsync = ")" + fsync + "\"\n";
}

// "k007" for padded("k", 7, 3).
std::string padded(const std::string& prefix, int i, std::size_t width) {
  const std::string n = std::to_string(i);
  return prefix + std::string(width > n.size() ? width - n.size() : 0, '0') + n;
}

// The 32-byte value of key number i in the log test.
std::string fill(int i) { return std::string(32, static_cast<char>('a' + i % 26)); }

// A control client that said hello, retrying until the daemon listens (after a restart the
// socket file of the dead one may still be there).
std::unique_ptr<Client> connect(Daemon& d, std::chrono::milliseconds timeout = 10s) {
  std::unique_ptr<Client> c;
  wait_until(
      [&] {
        c = std::make_unique<Client>(d.socket());
        return c->connected() && c->hello_control();
      },
      timeout);
  return c;
}

Reply call(Client& c, MessageType type, const proto::Bytes& payload) {
  auto r = c.request(type, payload, 10s);
  REQUIRE(r);
  return *r;
}

std::optional<std::string> get(Client& c, const std::string& key) {
  const Reply r = call(c, MessageType::store_get, proto::encode(proto::StoreGet{key}));
  proto::StoreValue v;
  REQUIRE((!r.is_error() && proto::decode(r.payload, v)));
  return v.found ? std::optional<std::string>(v.value) : std::nullopt;
}

bool applied(const Reply& r) {
  proto::StoreApplied a;
  REQUIRE((!r.is_error() && proto::decode(r.payload, a)));
  return a.applied;
}

bool set(Client& c, const std::string& key, const std::string& value, std::uint64_t ttl_ms = 0,
         proto::StoreCondition cond = proto::StoreCondition::always) {
  return applied(call(c, MessageType::store_set, proto::encode(proto::StoreSet{key, value, ttl_ms, cond})));
}

Reply incr(Client& c, const std::string& key, std::int64_t delta) {
  return call(c, MessageType::store_increment, proto::encode(proto::StoreIncrement{key, delta}));
}

std::int64_t integer(const Reply& r) {
  proto::StoreInteger v;
  REQUIRE((!r.is_error() && proto::decode(r.payload, v)));
  return v.value;
}

proto::StoreKeyPage keys(Client& c, const std::string& prefix, const std::string& cursor, std::uint32_t count) {
  const Reply r = call(c, MessageType::store_keys, proto::encode(proto::StoreKeys{prefix, cursor, count}));
  proto::StoreKeyPage page;
  REQUIRE((!r.is_error() && proto::decode(r.payload, page)));
  return page;
}

// SIGTERM, and the daemon exits 0 having flushed its log.
void stop(std::unique_ptr<Daemon>& d) {
  d->process().signal(SIGTERM);
  const auto st = d->process().wait(20s);
  REQUIRE(st);
  CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 0));
  d.reset();
  reap_orphans();
}

struct CtlRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CtlRun ctl(const TempDir& dir, const fs::path& socket, std::vector<std::string> args) {
  static int n = 0;
  args.insert(args.begin(), {(bin_dir() / "meganectl").string(), "--socket", socket.string()});
  const fs::path log = dir.path() / ("ctl-" + std::to_string(++n) + ".out");
  Process p(args, log);
  const auto st = p.wait(30s);
  CtlRun r;
  r.output = p.log_text();
  if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
  return r;
}

}  // namespace

TEST_CASE("store: every op over the socket", "[integration][store]") {
  TempDir dir;
  Daemon d(dir, config("megane-test-bot", "always"));
  auto c = connect(d);
  REQUIRE(c);

  // get / set / conditions / del
  CHECK(get(*c, "a") == std::nullopt);
  CHECK(set(*c, "a", "1"));
  CHECK(get(*c, "a") == "1");
  CHECK_FALSE(set(*c, "a", "2", 0, proto::StoreCondition::if_absent));
  CHECK(set(*c, "a", "3", 0, proto::StoreCondition::if_present));
  CHECK_FALSE(set(*c, "nope", "x", 0, proto::StoreCondition::if_present));
  CHECK(get(*c, "a") == "3");
  CHECK(set(*c, std::string("bin\0key", 7), std::string("\0\xff", 2)));
  CHECK(get(*c, std::string("bin\0key", 7)) == std::string("\0\xff", 2));
  CHECK(applied(call(*c, MessageType::store_delete, proto::encode(proto::StoreDelete{"a"}))));
  CHECK_FALSE(applied(call(*c, MessageType::store_delete, proto::encode(proto::StoreDelete{"a"}))));

  // increment: absent counts as 0; non-integers and overflow are refused and change nothing
  CHECK(integer(incr(*c, "n", 5)) == 5);
  CHECK(integer(incr(*c, "n", -7)) == -2);
  CHECK(set(*c, "text", "12abc"));
  const Reply bad = incr(*c, "text", 1);
  CHECK(bad.is_error());
  CHECK(bad.error_code() == proto::ErrorCode::malformed);
  CHECK(bad.error_message().find("not an integer") != std::string::npos);
  CHECK(get(*c, "text") == "12abc");
  CHECK(set(*c, "big", "9223372036854775807"));
  const Reply over = incr(*c, "big", 1);
  CHECK((over.is_error() && over.error_message().find("overflow") != std::string::npos));
  CHECK(get(*c, "big") == "9223372036854775807");

  // compare_and_set
  auto cas = [&](const std::string& key, std::optional<std::string> expected, const std::string& value) {
    return applied(call(*c, MessageType::store_compare_and_set,
                        proto::encode(proto::StoreCompareAndSet{key, std::move(expected), value, 0})));
  };
  CHECK(cas("lock", std::nullopt, "me"));
  CHECK_FALSE(cas("lock", std::nullopt, "you"));
  CHECK_FALSE(cas("lock", "you", "x"));
  CHECK(cas("lock", "me", "released"));
  CHECK(get(*c, "lock") == "released");

  // TTL: set with ttl, expire, persist (ttl 0). Expiry is awaited, never timed.
  CHECK(set(*c, "short", "v", 1000));
  CHECK(set(*c, "kept", "v", 1000));
  auto expire = [&](const std::string& key, std::uint64_t ttl) {
    return applied(call(*c, MessageType::store_expire, proto::encode(proto::StoreExpire{key, ttl})));
  };
  CHECK(expire("kept", 0));  // no expiry any more
  CHECK(set(*c, "later", "v"));
  CHECK(expire("later", 1000));
  CHECK_FALSE(expire("absent", 1000));
  CHECK(get(*c, "short") == "v");
  CHECK(wait_until([&] { return get(*c, "short") == std::nullopt && get(*c, "later") == std::nullopt; }, 10s));
  CHECK(get(*c, "kept") == "v");
  CHECK(keys(*c, "short", "", 10).keys.empty());

  // keys: paging in byte order, a prefix, count clamped
  for (int i = 0; i < 25; ++i) set(*c, padded("page:", i, 2), "x");
  std::vector<std::string> all;
  std::string cursor;
  int pages = 0;
  do {
    auto page = keys(*c, "page:", cursor, 10);
    CHECK(page.keys.size() <= 10);
    all.insert(all.end(), page.keys.begin(), page.keys.end());
    cursor = page.next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages >= 3);
  REQUIRE(all.size() == 25);
  for (int i = 0; i < 25; ++i) CHECK(all[i] == padded("page:", i, 2));
  CHECK(keys(*c, "page:", "", 0).keys.size() == 1);

  // A payload that does not decode is `malformed`; the connection stays usable.
  const Reply junk = call(*c, MessageType::store_get, proto::Bytes{1, 2});
  CHECK(junk.error_code() == proto::ErrorCode::malformed);
  CHECK(get(*c, "kept") == "v");
}

TEST_CASE("store: 20 clients x 1000 concurrent increments survive a restart (fsync always)", "[integration][store]") {
  TempDir dir;
  auto d = std::make_unique<Daemon>(dir, config("megane-test-bot", "always"));
  constexpr int clients = 20;
  constexpr int per_client = 1000;
  constexpr int window = 50;  // requests in flight per connection
  std::mutex mutex;
  std::set<std::int64_t> seen;  // every value an increment returned: must be 1..20000, once each
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&] {
      auto c = connect(*d);
      if (!c || !c->connected()) {
        ++errors;
        return;
      }
      const proto::Bytes payload = proto::encode(proto::StoreIncrement{"counter", 1});
      std::vector<std::int64_t> values;
      int sent = 0;
      int received = 0;
      while (received < per_client) {
        while (sent < per_client && sent - received < window) c->send(MessageType::store_increment, 100 + sent++, payload);
        auto r = c->read(10s);
        if (!r || r->is_error()) {
          ++errors;
          return;
        }
        proto::StoreInteger v;
        if (!proto::decode(r->payload, v)) ++errors;
        values.push_back(v.value);
        ++received;
      }
      std::lock_guard lock(mutex);
      seen.insert(values.begin(), values.end());
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(errors == 0);
  CHECK(seen.size() == clients * per_client);
  CHECK(*seen.begin() == 1);
  CHECK(*seen.rbegin() == clients * per_client);

  stop(d);
  d = std::make_unique<Daemon>(dir, config("megane-test-bot", "always"));
  auto c = connect(*d);
  REQUIRE(c);
  CHECK(get(*c, "counter") == "20000");
}

TEST_CASE("store: kill -9 while clients write loses no acknowledged write (fsync always)", "[integration][store]") {
  TempDir dir;
  auto d = std::make_unique<Daemon>(dir, config("megane-test-bot", "always"));
  REQUIRE(connect(*d));
  constexpr int writers = 8;
  std::vector<std::vector<int>> acked(writers);  // per writer: sequence numbers answered ok
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      auto c = connect(*d);
      if (!c) return;
      constexpr int window = 16;
      int sent = 0;
      int received = 0;
      for (;;) {
        while (sent - received < window) {
          const std::string key = "ack:" + std::to_string(t) + ":" + std::to_string(sent);
          c->send(MessageType::store_set, static_cast<std::uint32_t>(100 + sent),
                  proto::encode(proto::StoreSet{key, "v" + key, 0, proto::StoreCondition::always}));
          ++sent;
        }
        auto r = c->read(5s);
        if (!r || r->is_error()) return;  // the daemon died: what was acked so far counts
        ++received;
        acked[t].push_back(static_cast<int>(r->header.request_id) - 100);
      }
    });
  }
  std::this_thread::sleep_for(700ms);
  d->process().signal(SIGKILL);
  for (auto& th : threads) th.join();
  d->process().wait(5s);
  d.reset();
  reap_orphans();

  d = std::make_unique<Daemon>(dir, config("megane-test-bot", "always"));
  auto c = connect(*d);
  REQUIRE(c);
  // Read every acked key back, pipelined (request id = index into `expected`).
  std::vector<std::string> expected;
  for (int t = 0; t < writers; ++t)
    for (const int seq : acked[t]) expected.push_back("ack:" + std::to_string(t) + ":" + std::to_string(seq));
  std::vector<std::string> lost;
  std::size_t sent = 0;
  for (std::size_t received = 0; received < expected.size(); ++received) {
    for (; sent < expected.size() && sent - received < 64; ++sent)
      c->send(MessageType::store_get, static_cast<std::uint32_t>(100 + sent), proto::encode(proto::StoreGet{expected[sent]}));
    auto r = c->read(10s);
    REQUIRE(r);
    const std::string& key = expected.at(r->header.request_id - 100);
    proto::StoreValue v;
    if (r->is_error() || !proto::decode(r->payload, v) || !v.found || v.value != "v" + key) lost.push_back(key);
  }
  INFO(lost.size() << " of " << expected.size() << " acknowledged writes lost, first: " << (lost.empty() ? "" : lost[0]));
  CHECK(lost.empty());
  CHECK(expected.size() > 0);
}

TEST_CASE("store: a corrupt log stops meganed with 65 and a torn tail loads the prefix", "[integration][store]") {
  TempDir dir;
  auto d = std::make_unique<Daemon>(dir, config("megane-test-bot", "always"));
  {
    auto c = connect(*d);
    REQUIRE(c);
    for (int i = 0; i < 200; ++i) REQUIRE(set(*c, padded("k", i, 3), fill(i)));
  }
  stop(d);
  // Set records of a 4-byte key and a 32-byte value: 8 header + 1 op + 4+4 + 4+32 + 8 = 61 bytes,
  // after the 8-byte file header (docs/store.md#file-format).
  const fs::path log = dir.path() / "store-test.store";
  REQUIRE(fs::file_size(log) == 8 + 200 * 61);
  std::string original;
  {
    std::ifstream in(log, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write_log = [&](const std::string& bytes) { std::ofstream(log, std::ios::binary | std::ios::trunc) << bytes; };

  // One byte flipped inside the value of record 100: corruption in the middle.
  std::string corrupt = original;
  const std::size_t record = 8 + 100 * 61;
  corrupt[record + 8 + 1 + 4 + 4 + 4 + 10] ^= 0x20;
  write_log(corrupt);
  d = std::make_unique<Daemon>(dir, config("megane-test-bot", "always"));
  const auto st = d->process().wait(10s);
  REQUIRE(st);
  CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 65));
  INFO(d->log());
  CHECK(d->log().find(log.string()) != std::string::npos);
  CHECK(d->log().find("offset " + std::to_string(record)) != std::string::npos);
  d.reset();
  CHECK(fs::file_size(log) == original.size());  // left untouched for the operator

  // The last record cut short: a torn tail. Starts with a warning and the 199 records before.
  write_log(original.substr(0, original.size() - 5));
  d = std::make_unique<Daemon>(dir, config("megane-test-bot", "always"));
  auto c = connect(*d);
  REQUIRE(c);
  INFO(d->log());
  CHECK(d->log().find("torn tail") != std::string::npos);
  CHECK(d->log().find("offset " + std::to_string(original.size() - 61)) != std::string::npos);
  CHECK(get(*c, "k198") == fill(198));
  CHECK(get(*c, "k199") == std::nullopt);
  CHECK(fs::file_size(log) == original.size() - 61);
}

TEST_CASE("store: meganectl store get, set, del, incr, keys", "[integration][store][meganectl]") {
  TempDir dir;
  Daemon d(dir, config("megane-test-bot", "everysec"));
  REQUIRE(connect(d));
  auto r = ctl(dir, d.socket(), {"store", "get", "missing"});
  CHECK(r.exit_code == 1);
  CHECK(r.output == "meganectl: store get: no key 'missing'\n");
  CHECK(ctl(dir, d.socket(), {"store", "set", "greeting", "hello world"}).output == "OK\n");
  CHECK(ctl(dir, d.socket(), {"store", "get", "greeting"}).output == "hello world\n");
  r = ctl(dir, d.socket(), {"store", "set", "greeting", "other", "--if-absent"});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("already exists") != std::string::npos);
  CHECK(ctl(dir, d.socket(), {"store", "set", "nobody", "x", "--if-present"}).exit_code == 1);
  CHECK(ctl(dir, d.socket(), {"store", "set", "greeting", "bye", "--if-present"}).exit_code == 0);
  CHECK(ctl(dir, d.socket(), {"store", "set", "temp", "x", "--ttl", "1s"}).exit_code == 0);
  CHECK(ctl(dir, d.socket(), {"store", "get", "temp"}).exit_code == 0);
  CHECK(wait_until([&] { return ctl(dir, d.socket(), {"store", "get", "temp"}).exit_code == 1; }, 10s));

  CHECK(ctl(dir, d.socket(), {"store", "incr", "hits"}).output == "1\n");
  CHECK(ctl(dir, d.socket(), {"store", "incr", "hits", "41"}).output == "42\n");
  CHECK(ctl(dir, d.socket(), {"store", "incr", "hits", "-50"}).output == "-8\n");
  r = ctl(dir, d.socket(), {"store", "incr", "greeting"});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("not an integer") != std::string::npos);

  CHECK(ctl(dir, d.socket(), {"store", "set", "user:2", "b"}).exit_code == 0);
  CHECK(ctl(dir, d.socket(), {"store", "set", "user:1", "a"}).exit_code == 0);
  CHECK(ctl(dir, d.socket(), {"store", "keys", "user:"}).output == "user:1\nuser:2\n");
  CHECK(ctl(dir, d.socket(), {"store", "keys", "--json"}).output == R"(["greeting","hits","user:1","user:2"])" "\n");
  CHECK(ctl(dir, d.socket(), {"store", "keys", "none:", "--json"}).output == "[]\n");

  CHECK(ctl(dir, d.socket(), {"store", "del", "user:1"}).output == "deleted\n");
  CHECK(ctl(dir, d.socket(), {"store", "del", "user:1"}).exit_code == 1);

  CHECK(ctl(dir, d.socket(), {"store", "set", "k", "v", "--ttl", "soon"}).exit_code == 2);
  CHECK(ctl(dir, d.socket(), {"store", "set", "k", "v", "--if-absent", "--if-present"}).exit_code == 2);
  CHECK(ctl(dir, d.socket(), {"store", "get"}).exit_code == 2);
  CHECK(ctl(dir, d.socket(), {"store"}).exit_code == 2);
  const auto unreachable = ctl(dir, dir.path() / "nobody.sock", {"store", "get", "k"});
  CHECK(unreachable.exit_code == 69);
}

TEST_CASE("store: the SDK from a cluster and a service and writes survive a restart", "[integration][store][sdk]") {
  TempDir dir;
  const std::string cfg = config("megane-store-bot", "always", R"([[services]]
name = "keeper"
executable = "@BIN@/megane-store-bot"
)");
  auto d = std::make_unique<Daemon>(dir, cfg);
  auto st = d->wait_all_ready();
  REQUIRE(st);
  // The service's answer to one SDK op (tests/fixtures/store_bot), on one line.
  auto sdk = [&](const std::string& json) { return ctl(dir, d->socket(), {"command", "--service", "keeper", json}).output; };
  REQUIRE(wait_until([&] { return sdk(R"({"op":"get","key":"boot:service:keeper"})") == R"({"status":"ok","value":"1"})" "\n"; }, 10s));

  // Written by the cluster's SDK at launch, read with meganectl.
  CHECK(ctl(dir, d->socket(), {"store", "get", "cluster:0:pid"}).output == std::to_string(st->clusters[0].pid) + "\n");
  CHECK(ctl(dir, d->socket(), {"store", "get", "boot:cluster:0"}).output == "1\n");
  const auto from_cluster = ctl(dir, d->socket(), {"command", "--cluster", "0", R"({"op":"set","key":"from-cluster","value":"hi"})"});
  CHECK(from_cluster.output == R"(cluster 0: ok {"status":"ok","applied":true})" "\n");
  CHECK(ctl(dir, d->socket(), {"store", "get", "from-cluster"}).output == "hi\n");

  // Every SDK op, through the service.
  const std::string ok_applied = R"({"status":"ok","applied":true})" "\n";
  const std::string not_applied = R"({"status":"ok","applied":false})" "\n";
  CHECK(sdk(R"({"op":"set","key":"s","value":"v1"})") == ok_applied);
  CHECK(sdk(R"({"op":"set","key":"s","value":"v2","if":"absent"})") == not_applied);
  CHECK(sdk(R"({"op":"set","key":"none","value":"v2","if":"present"})") == not_applied);
  CHECK(sdk(R"({"op":"get","key":"s","timeout_ms":3000})") == R"({"status":"ok","value":"v1"})" "\n");
  CHECK(sdk(R"({"op":"get","key":"none"})") == R"({"status":"ok","value":null})" "\n");
  CHECK(sdk(R"({"op":"incr","key":"s"})").starts_with(R"({"status":"not an integer")"));
  CHECK(sdk(R"({"op":"set_int","key":"max","value":9223372036854775807})") == ok_applied);
  CHECK(sdk(R"({"op":"incr","key":"max"})").starts_with(R"({"status":"overflow")"));
  CHECK(sdk(R"({"op":"incr","key":"n","delta":-3})") == R"({"status":"ok","value":-3})" "\n");
  CHECK(sdk(R"({"op":"get_int","key":"n"})") == R"({"status":"ok","value":-3})" "\n");
  CHECK(sdk(R"({"op":"get_int","key":"s"})").starts_with(R"({"status":"not an integer")"));
  CHECK(sdk(R"({"op":"cas","key":"lock","expected":null,"value":"a"})") == ok_applied);
  CHECK(sdk(R"({"op":"cas","key":"lock","expected":null,"value":"b"})") == not_applied);
  CHECK(sdk(R"({"op":"cas","key":"lock","expected":"b","value":"c"})") == not_applied);
  CHECK(sdk(R"({"op":"cas","key":"lock","expected":"a","value":"c","ttl_ms":60000})") == ok_applied);
  CHECK(sdk(R"({"op":"set_json","key":"j","json":"{nope"})").starts_with(R"({"status":"invalid JSON")"));
  CHECK(sdk(R"({"op":"set_json","key":"j"})").starts_with(R"({"status":"invalid JSON")"));
  CHECK(sdk(R"({"op":"set_json","key":"j","json":"{\"a\": [1, 2]}"})") == ok_applied);
  CHECK(sdk(R"({"op":"get_json","key":"j"})") == R"({"status":"ok","value":{"a":[1,2]}})" "\n");
  CHECK(sdk(R"({"op":"set","key":"gone","value":"x"})") == ok_applied);
  CHECK(sdk(R"({"op":"expire","key":"gone","ttl_ms":200})") == ok_applied);
  CHECK(sdk(R"({"op":"del","key":"s"})") == ok_applied);
  CHECK(sdk(R"({"op":"del","key":"s"})") == not_applied);
  for (int i = 0; i < 5; ++i) sdk(R"({"op":"set","key":"p:)" + std::to_string(i) + R"(","value":"x"})");
  CHECK(sdk(R"({"op":"keys","prefix":"p:","count":2})") == R"({"status":"ok","keys":["p:0","p:1"],"next_cursor":"p:2"})" "\n");
  CHECK(sdk(R"({"op":"all_keys","prefix":"p:","page":2})") == R"({"status":"ok","keys":["p:0","p:1","p:2","p:3","p:4"]})" "\n");
  CHECK(wait_until([&] { return sdk(R"({"op":"get","key":"gone"})") == R"({"status":"ok","value":null})" "\n"; }, 10s));
  // A StoreBatch: the ops run in the order added (the set is seen by the get behind it), a
  // failing op fails alone, and every answer is the single op's.
  CHECK(sdk(R"({"op":"batch","ops":[{"op":"set","key":"b1","value":"one"},{"op":"get","key":"b1"},)"
            R"({"op":"incr","key":"b1"},{"op":"incr","key":"bn","delta":5},{"op":"cas","key":"b1","expected":"one","value":"two"},)"
            R"({"op":"set","key":"b1","value":"x","if":"absent"},{"op":"get","key":"nobody"},{"op":"del","key":"bn"},)"
            R"({"op":"expire","key":"b1","ttl_ms":60000}]})") ==
        R"({"status":"ok","all_ok":false,"results":[{"status":"ok","applied":true},{"status":"ok","value":"one"},)"
        R"({"status":"not an integer","message":"the value of 'b1' is not an integer"},{"status":"ok","value":5},)"
        R"({"status":"ok","applied":true},{"status":"ok","applied":false},{"status":"ok","value":null},)"
        R"({"status":"ok","applied":true},{"status":"ok","applied":true}]})" "\n");
  CHECK(sdk(R"({"op":"get","key":"b1"})") == R"({"status":"ok","value":"two"})" "\n");
  CHECK(sdk(R"({"op":"batch","ops":[]})") == R"({"status":"ok","all_ok":true,"results":[]})" "\n");
  // 2000 increments, 16 in flight at a time on the service's one connection.
  CHECK(sdk(R"({"op":"incr_many","key":"sdk-counter","n":2000,"in_flight":16})") == R"({"status":"ok","value":2000})" "\n");

  stop(d);
  d = std::make_unique<Daemon>(dir, cfg);
  REQUIRE(d->wait_all_ready());
  CHECK(ctl(dir, d->socket(), {"store", "get", "from-cluster"}).output == "hi\n");
  CHECK(ctl(dir, d->socket(), {"store", "get", "sdk-counter"}).output == "2000\n");
  CHECK(ctl(dir, d->socket(), {"store", "get", "boot:cluster:0"}).output == "2\n");
  CHECK(ctl(dir, d->socket(), {"store", "get", "lock"}).output == "c\n");
}
