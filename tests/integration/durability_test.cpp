// Durability: the store's promises under crashes and disk trouble, end to end.
// - kill -9 meganed in a loop under writes: after every restart, every acknowledged write is
//   there (fsync always; and everysec, since a process crash leaves the kernel's page cache);
// - the log cut at random offsets loads the valid prefix; a byte flipped in a record before the
//   last one is refused with an error naming the file and the record's offset;
// - a full filesystem (a tiny tmpfs; needs root) makes meganed refuse writes with
//   `persistence` instead of acknowledging them, keep serving reads, and lose nothing it did
//   acknowledge.
// Rounds scale with MEGANE_CHAOS_ROUNDS (scripts/chaos/daemon_kill.sh). No timing assertions.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include <megane/proto/store_messages.hpp>

#include "catch.hpp"
#include "chaos_support.hpp"

using namespace megane::test;
using namespace megane;
using proto::MessageType;

namespace {

std::string config(const std::string& fsync, const std::string& store_path = "") {
  std::string text = R"(name = "durable"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 1
clusters = 1
[ipc]
socket = "@SOCKET@"
[store]
fsync = ")" + fsync + "\"\n";
  if (!store_path.empty()) text += "path = \"" + store_path + "\"\n";
  return text;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

void kill_loop(const std::string& fsync) {
  const long rounds = env_long("MEGANE_CHAOS_ROUNDS", 4);
  std::mt19937 rng(std::random_device{}());
  TempDir dir;
  std::vector<KeyValue> all_acked;
  std::size_t total_lost = 0;
  for (long round = 0; round < rounds; ++round) {
    auto d = std::make_unique<Daemon>(dir, config(fsync));
    {
      auto c = connect_control(d->socket());
      REQUIRE(c);
      // Everything acknowledged in earlier rounds survived the kill and the restart.
      const auto missing = missing_keys(*c, all_acked);
      INFO("round " << round << ": " << missing.size() << " of " << all_acked.size()
                    << " acknowledged writes lost, first: " << (missing.empty() ? "" : missing[0]));
      CHECK(missing.empty());
      total_lost += missing.size();
    }
    std::vector<std::unique_ptr<AckedWriter>> writers;
    for (int w = 0; w < 4; ++w)
      writers.push_back(std::make_unique<AckedWriter>(d->socket(), "r" + std::to_string(round) + "w" + std::to_string(w)));
    // Writes run at tens of thousands per second: a short random moment is plenty in flight.
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 200));
    d->process().signal(SIGKILL);
    d->process().wait(5s);
    for (auto& w : writers) {
      w->stop();
      for (auto& kv : w->expected()) all_acked.push_back(std::move(kv));
    }
    d.reset();
    reap_orphans();
  }
  Daemon last(dir, config(fsync));
  auto c = connect_control(last.socket());
  REQUIRE(c);
  const auto missing = missing_keys(*c, all_acked);
  INFO(all_acked.size() << " writes acknowledged over " << rounds << " kills; " << missing.size() << " lost");
  CHECK(missing.empty());
  CHECK(total_lost == 0);
  CHECK(all_acked.size() > 0);
}

}  // namespace

TEST_CASE("durability: kill -9 meganed in a loop under writes (fsync always)", "[integration][durability]") {
  kill_loop("always");
}

TEST_CASE("durability: kill -9 meganed in a loop under writes (fsync everysec)", "[integration][durability]") {
  // A crash of the process (not of the machine) keeps what the kernel was given: no loss here
  // either. The ~1 s window of everysec is about power loss, which no test here can cause.
  kill_loop("everysec");
}

TEST_CASE("durability: a log cut at random offsets loads its prefix and a flipped byte is refused",
          "[integration][durability]") {
  // 120 Set records of a 4-byte key and a 32-byte value: 61 bytes each after the 8-byte file
  // header (docs/store.md#file-format), so the records a cut keeps are known.
  constexpr std::size_t header = 8, record = 61, count = 120;
  TempDir dir;
  const fs::path log = dir.path() / "durable.store";
  auto key = [](std::size_t i) { return "k" + std::string(3 - std::to_string(i).size(), '0') + std::to_string(i); };
  auto value = [](std::size_t i) { return std::string(32, static_cast<char>('a' + i % 26)); };
  {
    Daemon d(dir, config("always"));
    auto c = connect_control(d.socket());
    REQUIRE(c);
    for (std::size_t i = 0; i < count; ++i) {
      auto r = c->request(MessageType::store_set, proto::encode(proto::StoreSet{key(i), value(i), 0, {}}));
      REQUIRE((r && !r->is_error()));
    }
    d.process().signal(SIGTERM);
    REQUIRE(d.process().wait(20s));
  }
  const std::string original = read_file(log);
  REQUIRE(original.size() == header + count * record);

  std::mt19937 rng(std::random_device{}());
  for (int trial = 0; trial < 3; ++trial) {
    const std::size_t cut = header + rng() % (original.size() - header);
    const std::size_t kept = (cut - header) / record;
    INFO("cut at byte " << cut << ": " << kept << " whole records before it");
    write_file(log, original.substr(0, cut));
    Daemon d(dir, config("always"));
    auto c = connect_control(d.socket());
    REQUIRE(c);
    std::vector<KeyValue> prefix;
    for (std::size_t i = 0; i < kept; ++i) prefix.push_back({key(i), value(i)});
    CHECK(missing_keys(*c, prefix).empty());
    if (kept < count) CHECK(missing_keys(*c, {{key(kept), value(kept)}}).size() == 1);
    CHECK(fs::file_size(log) == header + kept * record);  // the torn tail was cut off
  }

  for (int trial = 0; trial < 3; ++trial) {
    // A record before the last, and a byte in it that is not one of the length's upper bytes (a
    // length pointing past the end of the file is indistinguishable from a torn write,
    // docs/store.md#recovery-at-start).
    const std::size_t bad = rng() % (count - 1);
    std::size_t in_record = rng() % record;
    if (in_record >= 1 && in_record <= 3) in_record = 0;
    const std::size_t at = header + bad * record + in_record;
    std::string corrupt = original;
    corrupt[at] = static_cast<char>(corrupt[at] ^ (1 + rng() % 255));
    write_file(log, corrupt);
    Daemon d(dir, config("always"));
    const auto st = d.process().wait(10s);
    REQUIRE(st);
    INFO("flipped byte " << at << " (record " << bad << " at offset " << header + bad * record << "): " << d.log());
    CHECK((WIFEXITED(*st) && WEXITSTATUS(*st) == 65));
    const std::string error = "store log " + log.string() + ": corrupt record at byte offset " +
                              std::to_string(header + bad * record);
    CHECK(d.log().find(error) != std::string::npos);
    CHECK(read_file(log) == corrupt);  // untouched, for the operator
  }
}

TEST_CASE("durability: a full disk makes meganed refuse writes instead of acknowledging them", "[integration][durability]") {
  TempDir dir;
  const fs::path mnt = dir.path() / "tiny";
  fs::create_directories(mnt);
  if (::mount("megane-test", mnt.c_str(), "tmpfs", 0, "size=128k") != 0) {
    WARN("cannot mount a tmpfs (needs root): the full-disk test is skipped");
    return;
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const std::string store = (mnt / "durable.store").string();

  std::vector<KeyValue> acked;
  {
    Daemon d(dir, config("always", store));
    auto c = connect_control(d.socket());
    REQUIRE(c);
    // 2 KiB values until the filesystem is full: the first refusal must be `persistence`.
    std::optional<Reply> refused;
    for (int i = 0; i < 1000 && !refused; ++i) {
      const KeyValue kv{"big:" + std::to_string(i), std::string(2048, static_cast<char>('a' + i % 26))};
      auto r = c->request(MessageType::store_set, proto::encode(proto::StoreSet{kv.key, kv.value, 0, {}}));
      REQUIRE(r);
      if (r->is_error()) refused = r;
      else acked.push_back(kv);
    }
    REQUIRE(refused);
    INFO(refused->error_message());
    CHECK(refused->error_code() == proto::ErrorCode::persistence);
    CHECK(acked.size() > 10);

    // Still full, and even with room again later writes are refused until a restart: the log
    // must not continue after a gap. Reads keep working.
    auto again = c->request(MessageType::store_set, proto::encode(proto::StoreSet{"small", "x", 0, {}}));
    REQUIRE(again);
    CHECK(again->error_code() == proto::ErrorCode::persistence);
    CHECK(missing_keys(*c, acked).empty());
    // An operator must act, so it is an error line naming the file.
    CHECK(d.log().find("store log " + store + ": No space left on device; refusing") != std::string::npos);
  }

  // Room again (a larger tmpfs), restart: everything acknowledged is there, writes work.
  REQUIRE(::mount("megane-test", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=1m") == 0);
  Daemon d(dir, config("always", store));
  auto c = connect_control(d.socket());
  REQUIRE(c);
  CHECK(missing_keys(*c, acked).empty());
  auto r = c->request(MessageType::store_set, proto::encode(proto::StoreSet{"after", "ok", 0, {}}));
  REQUIRE(r);
  CHECK_FALSE(r->is_error());
}
