// The cache's storage and the per-event functions that change it, one file per noun
// (guilds.cpp, channels.cpp, roles.cpp, members.cpp, users.cpp). cache.cpp maps event names to
// these and answers reads; json_write.cpp turns entries back into Discord's JSON.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include <megane/sdk/cache.hpp>

#include "id_table.hpp"
#include "json_read.hpp"

namespace megane {

struct Cache::State {
  CacheOptions options;
  std::uint64_t self_id = 0;
  bool self_pinned = false;  // the bot's own user holds one extra ref so it outlives its guilds
  // A few thousand guilds per process: node storage keeps CachedGuild pointers stable.
  std::unordered_map<std::uint64_t, CachedGuild> guilds;
  cache::IdTable<CachedChannel> channels;
  cache::IdTable<CachedUser> users;
  std::uint64_t malformed = 0;

  CachedGuild* find_guild(std::uint64_t id) {
    auto it = guilds.find(id);
    return it == guilds.end() ? nullptr : &it->second;
  }
  // The guild a guild-scoped event names, if it is cached and available.
  CachedGuild* available_guild(std::uint64_t id) {
    CachedGuild* g = find_guild(id);
    return g && !g->unavailable ? g : nullptr;
  }
};

namespace cache {

using State = Cache::State;

// users.cpp
// A user object's fields as read, before they go into the CachedUser: member lists look
// their users up a few members late (UserPipeline). `present` has a bit per field the
// object had; only those overwrite. The text fields are views into the payload being applied
// (the DOM's string buffer, valid until the next parse): copies made
// here cost a heap block per long name per member, kept or not, while most members' users are
// already cached with the same names (CompactString::assign then copies nothing).
struct UserFields {
  static constexpr std::uint8_t username_bit = 1, global_name_bit = 2, avatar_bit = 4, discriminator_bit = 8,
                                bot_bit = 16, system_bit = 32, public_flags_bit = 64;
  std::uint64_t id = 0;
  std::string_view username;
  std::string_view global_name;
  std::string_view avatar;
  std::uint32_t public_flags = 0;
  std::uint16_t discriminator = 0;
  bool bot = false;
  bool system = false;
  std::uint8_t present = 0;
};
// Also sets out.id (0 if none).
void read_user_fields(UserFields& out, object o);

// Takes a reference on each user pushed, creating or updating it, a few users after the push
// (the table lookup's cache misses are prefetched meanwhile); flush() does the rest. Between
// push and flush the pushed users may not be in the table yet.
class UserPipeline {
 public:
  explicit UserPipeline(State& state) : state_(state) {}
  ~UserPipeline() { flush(); }
  UserPipeline(const UserPipeline&) = delete;
  UserPipeline& operator=(const UserPipeline&) = delete;

  UserFields& next() { return ring_[(head_ + count_) % depth]; }  // fill, then push()
  void push();
  void flush();

 private:
  // One member's parse is shorter than a miss on a shared VM: the entity is prefetched two
  // users after its bucket, and taken three users after that.
  static constexpr std::size_t depth = 6, entity_lag = 2;
  void acquire_oldest();
  State& state_;
  UserFields ring_[depth];
  std::size_t head_ = 0, count_ = 0;
};

// The object's "id" as a snowflake (0 if none).
std::uint64_t object_id(object o) noexcept;
// Finds or creates the user of a Discord user object, updates it, and takes a reference.
// Returns its id (0 if the object has none).
std::uint64_t acquire_user(State& state, element user_json);
std::uint64_t acquire_user(State& state, object o, std::uint64_t id);      // id: object_id(o)
void release_user(State& state, std::uint64_t user_id);
void update_user(State& state, element user_json);  // only if cached
void update_user(State& state, object o, std::uint64_t id);
void apply_user_update(State& state, element data);

// members.cpp
bool keeps_member(const State& state, std::uint64_t user_id);
void load_members(State& state, CachedGuild& guild, array members);  // replaces the list
void release_members(State& state, CachedGuild& guild);
void strip_role_from_members(CachedGuild& guild, std::uint64_t role_id);
void apply_member_add(State& state, element data);
void apply_member_update(State& state, element data);
void apply_member_remove(State& state, element data);
void apply_members_chunk(State& state, element data);

// roles.cpp
void load_roles(CachedGuild& guild, array roles);
void apply_role_upsert(State& state, element data);  // GUILD_ROLE_CREATE and _UPDATE
void apply_role_delete(State& state, element data);

// channels.cpp
void load_channels(State& state, CachedGuild& guild, array channels);  // replaces the list
void release_channels(State& state, CachedGuild& guild);
void apply_channel_upsert(State& state, element data);  // CHANNEL_CREATE and _UPDATE
void apply_channel_delete(State& state, element data);

// guilds.cpp
void apply_ready(State& state, element data);
void apply_guild_create(State& state, element data);
void apply_guild_update(State& state, element data);
void apply_guild_delete(State& state, element data);

}  // namespace cache
}  // namespace megane
