// Runs every payload decoder of the protocol on one payload. A decoder must never read out of
// bounds (ASan checks), and what it accepts must re-encode to exactly the same bytes: the
// encoding is canonical, so a decoder that accepts more than the encoder writes is a bug (two
// peers could read one frame differently).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/fetch_messages.hpp>
#include <megane/proto/gateway_messages.hpp>
#include <megane/proto/messages.hpp>
#include <megane/proto/store_messages.hpp>

namespace megane::fuzz {

template <class Message>
void check_round_trip(proto::ByteView payload, const char* name) {
  Message m;
  if (!proto::decode(payload, m)) return;
  const proto::Bytes again = proto::encode(m);
  if (again.size() != payload.size() ||
      (!again.empty() && std::memcmp(again.data(), payload.data(), again.size()) != 0)) {
    std::fprintf(stderr, "%s: decoded payload of %zu bytes re-encodes to %zu different bytes\n", name,
                 payload.size(), again.size());
    std::abort();
  }
}

inline void decode_with_every_decoder(proto::ByteView p) {
  (void)proto::peek_hello_version(p);
  check_round_trip<proto::Hello>(p, "Hello");
  check_round_trip<proto::HelloOk>(p, "HelloOk");
  check_round_trip<proto::ErrorReply>(p, "ErrorReply");
  check_round_trip<proto::RestartCluster>(p, "RestartCluster");
  check_round_trip<proto::StoreGet>(p, "StoreGet");
  check_round_trip<proto::StoreValue>(p, "StoreValue");
  check_round_trip<proto::StoreSet>(p, "StoreSet");
  check_round_trip<proto::StoreApplied>(p, "StoreApplied");
  check_round_trip<proto::StoreDelete>(p, "StoreDelete");
  check_round_trip<proto::StoreIncrement>(p, "StoreIncrement");
  check_round_trip<proto::StoreInteger>(p, "StoreInteger");
  check_round_trip<proto::StoreCompareAndSet>(p, "StoreCompareAndSet");
  check_round_trip<proto::StoreExpire>(p, "StoreExpire");
  check_round_trip<proto::StoreKeys>(p, "StoreKeys");
  check_round_trip<proto::StoreKeyPage>(p, "StoreKeyPage");
  check_round_trip<proto::ServiceCommand>(p, "ServiceCommand");
  check_round_trip<proto::ClusterCommand>(p, "ClusterCommand");
  check_round_trip<proto::CommandDeliver>(p, "CommandDeliver");
  check_round_trip<proto::BroadcastReply>(p, "BroadcastReply");
  check_round_trip<proto::Subscribe>(p, "Subscribe");
  check_round_trip<proto::Event>(p, "Event");
  check_round_trip<proto::RestartService>(p, "RestartService");
  check_round_trip<proto::SessionInfo>(p, "SessionInfo");
  check_round_trip<proto::GatewayConfig>(p, "GatewayConfig");
  check_round_trip<proto::IdentifyPermitRequest>(p, "IdentifyPermitRequest");
  check_round_trip<proto::IdentifyPermit>(p, "IdentifyPermit");
  check_round_trip<proto::IdentifyDone>(p, "IdentifyDone");
  check_round_trip<proto::ShardStatus>(p, "ShardStatus");
  check_round_trip<proto::FetchRequest>(p, "FetchRequest");
  check_round_trip<proto::FetchEntries>(p, "FetchEntries");
  check_round_trip<proto::CacheConfig>(p, "CacheConfig");
}

}  // namespace megane::fuzz
