// Everything fakecord can be told on its command line (docs/fakecord.md lists each flag). Plain
// data: the pure core reads it, main.cpp fills it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fakecord {

// Privileged intents (Discord: they must be enabled in the Developer Portal before use).
inline constexpr std::uint32_t intent_guilds = 1u << 0;
inline constexpr std::uint32_t intent_guild_members = 1u << 1;
inline constexpr std::uint32_t intent_guild_presences = 1u << 8;
inline constexpr std::uint32_t intent_guild_messages = 1u << 9;
inline constexpr std::uint32_t intent_message_content = 1u << 15;
inline constexpr std::uint32_t privileged_intents =
    intent_guild_members | intent_guild_presences | intent_message_content;
// Every intent Discord defines for gateway v10: bits 0-16, 20, 21, 24, 25. Others close 4013.
inline constexpr std::uint32_t known_intents =
    0x1FFFFu | (1u << 20) | (1u << 21) | (1u << 24) | (1u << 25);

struct Options {
  std::uint16_t port = 0;  // 0: the kernel picks all four ports
  std::string token;       // the one valid bot token (from --token-file)

  // Population (deterministic from seed).
  std::uint32_t guilds = 100;
  std::uint32_t members_per_guild = 10;  // including the bot's own member
  std::uint32_t channels_per_guild = 5;
  std::uint32_t roles_per_guild = 3;  // including @everyone
  std::uint64_t seed = 1;

  // GET /gateway/bot and the identify rules.
  std::uint32_t shards_recommended = 1;
  std::uint32_t expect_shards = 0;  // 0: any shard total is accepted
  std::uint32_t max_concurrency = 1;
  std::uint32_t identify_window_ms = 5000;
  std::uint32_t session_total = 1000;
  std::uint32_t session_remaining = 1000;
  std::uint64_t session_reset_ms = 86'400'000;  // the daily budget resets this long after start
  std::uint32_t enabled_privileged_intents = privileged_intents;
  std::uint32_t max_guilds_per_shard = 2500;  // more guilds on one session closes 4011

  // Connection behaviour.
  std::uint32_t hello_interval_ms = 41250;
  std::uint32_t resume_timeout_ms = 180'000;  // a detached session stays resumable this long
  std::size_t replay_buffer = 100'000;        // dispatches kept per session for RESUME
  std::uint32_t zlib_split_every = 0;         // split every Nth zlib message in two (0: never)
  int zlib_level = 6;
  int burst_zlib_level = -1;  // -1: burst MESSAGE_CREATEs as back-references (fixed_deflate.hpp)

  bool tls = false;
  std::string cert_out;  // where --tls writes the self-signed certificate (PEM)
};

}  // namespace fakecord
