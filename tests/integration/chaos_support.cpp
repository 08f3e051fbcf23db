#include "chaos_support.hpp"

#include <cstdlib>
#include <fstream>
#include <map>

#include <megane/proto/store_messages.hpp>

namespace megane::test {

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? n : fallback;
}

std::unique_ptr<Client> connect_control(const fs::path& socket, std::chrono::milliseconds timeout) {
  std::unique_ptr<Client> c;
  const bool ok = wait_until(
      [&] {
        c = std::make_unique<Client>(socket);
        return c->connected() && c->hello_control();
      },
      timeout);
  return ok ? std::move(c) : nullptr;
}

AckedWriter::AckedWriter(fs::path socket, std::string prefix, std::uint32_t slots)
    : socket_(std::move(socket)), prefix_(std::move(prefix)), slots_(slots), thread_([this] { run(); }) {}

AckedWriter::~AckedWriter() { stop(); }

void AckedWriter::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void AckedWriter::run() {
  auto c = connect_control(socket_);
  if (!c) return;
  constexpr std::uint32_t window = 16;
  constexpr std::uint32_t first_id = 100;
  std::uint32_t sent = 0;
  std::uint32_t answered = 0;
  for (;;) {
    while (!stop_ && sent - answered < window) {
      const std::string k = prefix_ + ":" + std::to_string(slots_ ? sent % slots_ : sent);
      const std::string v = "v" + prefix_ + ":" + std::to_string(sent);
      c->send(proto::MessageType::store_set, first_id + sent,
              proto::encode(proto::StoreSet{k, v, 0, proto::StoreCondition::always}));
      ++sent;
    }
    if (answered == sent) return;
    auto r = c->read(10s);
    if (!r) return;  // the daemon went away: what was acknowledged so far is what counts
    ++answered;
    if (r->is_error()) ++errors_;
    else acked_.push_back(r->header.request_id - first_id);
  }
}

std::vector<KeyValue> AckedWriter::expected() const {
  std::map<std::uint32_t, std::uint32_t> last;  // slot (or n) -> last acknowledged n
  for (const std::uint32_t n : acked_) {
    const std::uint32_t slot = slots_ ? n % slots_ : n;
    auto [it, fresh] = last.emplace(slot, n);
    if (!fresh && n > it->second) it->second = n;
  }
  std::vector<KeyValue> out;
  for (const auto& [slot, n] : last)
    out.push_back({prefix_ + ":" + std::to_string(slot), "v" + prefix_ + ":" + std::to_string(n)});
  return out;
}

std::vector<std::string> missing_keys(Client& c, const std::vector<KeyValue>& keys) {
  std::vector<std::string> missing;
  constexpr std::uint32_t first_id = 1'000'000;
  std::size_t sent = 0;
  for (std::size_t received = 0; received < keys.size(); ++received) {
    for (; sent < keys.size() && sent - received < 64; ++sent)
      c.send(proto::MessageType::store_get, static_cast<std::uint32_t>(first_id + sent),
             proto::encode(proto::StoreGet{keys[sent].key}));
    auto r = c.read(10s);
    if (!r) {  // no answer: everything not read back counts as missing
      for (std::size_t i = received; i < keys.size(); ++i) missing.push_back(keys[i].key);
      return missing;
    }
    const KeyValue& kv = keys.at(r->header.request_id - first_id);
    proto::StoreValue v;
    if (r->is_error() || !proto::decode(r->payload, v) || !v.found || v.value != kv.value)
      missing.push_back(kv.key);
  }
  return missing;
}

std::vector<pid_t> zombie_children(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 >= line.size()) continue;
    const char state = line[close + 2];
    const long ppid = std::strtol(line.c_str() + close + 4, nullptr, 10);
    if (state == 'Z' && ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

std::size_t open_fds(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    ++n;
  return n;
}

std::size_t rss_kib(pid_t pid) {
  const std::string v = proc_status_field(pid, "VmRSS");  // "12345 kB"
  return static_cast<std::size_t>(std::strtoul(v.c_str(), nullptr, 10));
}

}  // namespace megane::test
