// Snowflakes and the deterministic hash fakecord derives every generated value from. A Discord
// snowflake is (ms since 2015-01-01 << 22) | worker << 17 | process << 12 | increment, so
// `id >> 22` is a timestamp: that is what spreads guilds over shards.
#pragma once

#include <cstdint>

namespace fakecord {

inline constexpr std::uint64_t discord_epoch_ms = 1'420'070'400'000;  // 2015-01-01T00:00:00Z

// splitmix64's finalizer: a cheap, well-mixed 64-bit hash.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A value determined by (seed, a, b) only: population data is recomputed on demand from it.
constexpr std::uint64_t hash3(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
  return mix64(seed ^ mix64(a ^ mix64(b + 0x632BE59BD9B4E019ull)));
}

constexpr std::uint64_t make_snowflake(std::uint64_t ms_since_epoch, std::uint32_t worker,
                                       std::uint32_t increment) {
  return (ms_since_epoch << 22) | (std::uint64_t{worker & 0x1Fu} << 17) | (increment & 0x1FFFFu);
}

constexpr std::uint64_t snowflake_unix_ms(std::uint64_t id) { return (id >> 22) + discord_epoch_ms; }

// Discord's sharding formula.
constexpr std::uint32_t shard_for_guild(std::uint64_t guild_id, std::uint32_t num_shards) {
  return static_cast<std::uint32_t>((guild_id >> 22) % num_shards);
}

}  // namespace fakecord
