// Writes the seed inputs of the IPC and store-log fuzz targets from real messages, encoded by
// the real codecs (so seeds follow the protocol when it changes: rerun and commit).
//   megane-fuzz-seeds FUZZ_CORPUS_DIR      (e.g. fuzz/corpus)
// Each IPC seed is a split_input.hpp input: a cut list, then a stream of frames.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/gateway_messages.hpp>
#include <megane/proto/messages.hpp>
#include <megane/proto/store_messages.hpp>

#include "store/log_record.hpp"

namespace {

using namespace megane;
using proto::MessageType;
namespace fs = std::filesystem;

struct Stream {
  proto::Bytes bytes;
  std::uint32_t next_id = 1;
  Stream& frame(MessageType type, const proto::Bytes& payload = {}, std::uint16_t flags = 0) {
    proto::append_frame(bytes, type, flags, next_id++, payload);
    return *this;
  }
  Stream& hello(proto::Role role = proto::Role::control) {
    proto::Hello h;
    h.role = role;
    h.client = "fuzz-seed/1";
    if (role == proto::Role::service) h.service = "svc";
    return frame(MessageType::hello, proto::encode(h));
  }
};

// A split_input.hpp input: `cuts` cut points spread evenly, then the stream.
proto::Bytes with_cuts(const proto::Bytes& stream, unsigned cuts) {
  proto::Bytes out{static_cast<std::uint8_t>(cuts)};
  for (unsigned i = 1; i <= cuts; ++i) {
    const auto at = static_cast<std::uint16_t>(stream.size() * i / (cuts + 1));
    out.push_back(static_cast<std::uint8_t>(at));
    out.push_back(static_cast<std::uint8_t>(at >> 8));
  }
  out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

void write(const fs::path& file, const proto::Bytes& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::pair<std::string, Stream>> ipc_streams() {
  std::vector<std::pair<std::string, Stream>> out;
  Stream s;
  s.hello().frame(MessageType::status).frame(MessageType::ping).frame(MessageType::goodbye, {'b', 'y', 'e'});
  out.emplace_back("status", s);

  s = {};
  s.hello()
      .frame(MessageType::store_set, proto::encode(proto::StoreSet{"k", "v", 0, proto::StoreCondition::always}))
      .frame(MessageType::store_set, proto::encode(proto::StoreSet{"t", "1", 500, proto::StoreCondition::if_absent}))
      .frame(MessageType::store_get, proto::encode(proto::StoreGet{"k"}))
      .frame(MessageType::store_increment, proto::encode(proto::StoreIncrement{"n", 5}))
      .frame(MessageType::store_increment, proto::encode(proto::StoreIncrement{"k", 1}))
      .frame(MessageType::store_compare_and_set, proto::encode(proto::StoreCompareAndSet{"k", "v", "w", 0}))
      .frame(MessageType::store_compare_and_set, proto::encode(proto::StoreCompareAndSet{"z", std::nullopt, "new", 9}))
      .frame(MessageType::store_expire, proto::encode(proto::StoreExpire{"k", 1000}))
      .frame(MessageType::store_keys, proto::encode(proto::StoreKeys{"", "", 10}))
      .frame(MessageType::store_delete, proto::encode(proto::StoreDelete{"k"}));
  out.emplace_back("store", s);

  s = {};
  s.hello()
      .frame(MessageType::cluster_command,
             proto::encode(proto::ClusterCommand{proto::CommandTarget::all, 0, true, 100, "{\"op\":1}"}))
      .frame(MessageType::cluster_command,
             proto::encode(proto::ClusterCommand{proto::CommandTarget::guild, 81384788765712384, false, 0, "x"}))
      .frame(MessageType::service_command, proto::encode(proto::ServiceCommand{"svc", true, 50, "{}"}))
      .frame(MessageType::service_command, proto::encode(proto::ServiceCommand{"nope", false, 0, ""}))
      .frame(MessageType::command_result, {'o', 'k'}, static_cast<std::uint16_t>(proto::FrameFlags::reply));
  out.emplace_back("commands", s);

  s = {};
  s.hello().frame(MessageType::subscribe, proto::encode(proto::Subscribe{proto::all_events})).frame(MessageType::status);
  out.emplace_back("subscribe", s);

  s = {};
  s.hello().frame(MessageType::restart_cluster, proto::encode(proto::RestartCluster{1, true}))
      .frame(MessageType::restart_service, proto::encode(proto::RestartService{"svc", false}))
      .frame(MessageType::gateway_config)
      .frame(MessageType::identify_permit, proto::encode(proto::IdentifyPermitRequest{3}))
      .frame(MessageType::shutdown);
  out.emplace_back("control", s);

  s = {};
  s.hello(proto::Role::cluster).frame(MessageType::ready);
  out.emplace_back("cluster_hello", s);
  s = {};
  s.hello(proto::Role::service).frame(MessageType::ready);
  out.emplace_back("service_hello", s);

  s = {};
  proto::Hello old;
  old.version = 7;
  s.frame(MessageType::hello, proto::encode(old));
  out.emplace_back("version_mismatch", s);

  s = {};
  s.frame(MessageType::status);
  out.emplace_back("no_hello", s);

  s = {};
  s.hello();
  proto::FrameHeader big{MessageType::store_set, 0, 9, 1u << 30};
  proto::Bytes header(proto::frame_header_size);
  proto::encode_header(big, std::span<std::uint8_t, proto::frame_header_size>(header.data(), proto::frame_header_size));
  s.bytes.insert(s.bytes.end(), header.begin(), header.end());
  out.emplace_back("too_large", s);

  // Payloads the daemon only sends: they matter to the frames target's decoders.
  s = {};
  s.frame(MessageType::hello_ok, proto::encode(proto::HelloOk{1, "meganed/0.1.0", "bot", 1, 4, 4, 16, 5000}))
      .frame(MessageType::error, proto::encode(proto::ErrorReply{proto::ErrorCode::limit, "too many"}))
      .frame(MessageType::store_keys, proto::encode(proto::StoreKeyPage{{"a", "b"}, "c"}))
      .frame(MessageType::store_get, proto::encode(proto::StoreValue{true, "v"}))
      .frame(MessageType::cluster_command,
             proto::encode(proto::BroadcastReply{{{0, proto::TargetStatus::ok, "{}"}, {1, proto::TargetStatus::exited, "gone"}}}))
      .frame(MessageType::command_deliver, proto::encode(proto::CommandDeliver{proto::Role::service, 0, "svc", true, "d"}))
      .frame(MessageType::event, proto::encode(proto::Event{proto::EventKind::cluster_ready, 1700000000000, "{}"}));
  proto::GatewayConfig gc;
  gc.token = "t";
  gc.gateway_url = "ws://127.0.0.1:1";
  gc.sessions.push_back({2, "sess", 42, "ws://r"});
  s.frame(MessageType::gateway_config, proto::encode(gc))
      .frame(MessageType::identify_permit, proto::encode(proto::IdentifyPermit{2, 99}))
      .frame(MessageType::identify_done, proto::encode(proto::IdentifyDone{99, false}))
      .frame(MessageType::session_update, proto::encode(proto::SessionInfo{2, "sess", 43, "ws://r"}))
      .frame(MessageType::shard_status, proto::encode(proto::ShardStatus{2, proto::ShardState::ready, 40, 100, "ok"}));
  out.emplace_back("daemon_replies", s);
  return out;
}

std::string store_log() {
  using daemon::LogRecord;
  std::string log(daemon::log_file_magic);
  daemon::encode_record(LogRecord::make_set("user:1", "alice", 0), log);
  daemon::encode_record(LogRecord::make_set("counter", "41", 0), log);
  daemon::encode_record(LogRecord::make_set("counter", "42", 0), log);
  daemon::encode_record(LogRecord::make_set("session", "x", 1'700'000'100'000), log);
  daemon::encode_record(LogRecord::make_set("old", "gone", 1'600'000'000'000), log);
  daemon::encode_record(LogRecord::make_expire("session", 0), log);
  daemon::encode_record(LogRecord::make_expire("user:1", 1'800'000'000'000), log);
  daemon::encode_record(LogRecord::make_del("counter"), log);
  daemon::encode_record(LogRecord::make_set(std::string("\0bin\xff", 5), std::string(300, 'v'), 0), log);
  return log;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FUZZ_CORPUS_DIR\n", argv[0]);
    return 64;
  }
  const fs::path dir = argv[1];
  for (const auto& [name, s] : ipc_streams()) {
    write(dir / "ipc_frames" / ("seed-" + name), with_cuts(s.bytes, 3));
    write(dir / "ipc_dispatch" / ("seed-" + name), with_cuts(s.bytes, 0));
    write(dir / "ipc_dispatch" / ("seed-" + name + "-split"), with_cuts(s.bytes, 5));
  }
  const std::string log = store_log();
  for (const std::uint8_t mode : {0, 1}) {
    proto::Bytes seed{mode};
    seed.insert(seed.end(), log.begin(), log.end());
    write(dir / "store_log" / ("seed-log-" + std::to_string(mode)), seed);
    seed.resize(seed.size() - 7);  // a torn tail
    write(dir / "store_log" / ("seed-torn-" + std::to_string(mode)), seed);
  }
  std::printf("seeds written under %s\n", dir.c_str());
  return 0;
}
