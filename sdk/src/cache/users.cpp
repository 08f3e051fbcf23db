// Users are shared by every guild they are a member of: one CachedUser per id with a
// reference count (one per cached member, one for the bot itself), freed when the last
// member goes.
#include <charconv>

#include "cache_state.hpp"

namespace megane::cache {
namespace {

std::uint16_t discriminator(std::string_view s) noexcept {
  std::uint16_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

template <class Object>
void read_fields(UserFields& u, Object& json) {
  u.present = 0;
  u.id = 0;
  bool id_seen = false;
  for_each_field(json, [&](std::string_view k, auto& value) {
    if (k == "id") {
      if (!id_seen) u.id = snowflake(value);  // the first "id", as a lookup by key finds
      id_seen = true;
    } else if (k == "username") {
      u.username = text(value);
      u.present |= UserFields::username_bit;
    } else if (k == "global_name") {
      u.global_name = text(value);
      u.present |= UserFields::global_name_bit;
    } else if (k == "avatar") {
      u.avatar = text(value);
      u.present |= UserFields::avatar_bit;
    } else if (k == "discriminator") {
      u.discriminator = discriminator(text(value));
      u.present |= UserFields::discriminator_bit;
    } else if (k == "bot") {
      u.bot = boolean(value);
      u.present |= UserFields::bot_bit;
    } else if (k == "system") {
      u.system = boolean(value);
      u.present |= UserFields::system_bit;
    } else if (k == "public_flags") {
      u.public_flags = narrow<std::uint32_t>(uint(value));
      u.present |= UserFields::public_flags_bit;
    }
  });
}

// Every field the object had overwrites the user's; the others stay.
void store_fields(CachedUser& user, const UserFields& u) {
  if (u.present & UserFields::username_bit) user.username.assign(u.username);
  if (u.present & UserFields::global_name_bit) user.global_name.assign(u.global_name);
  if (u.present & UserFields::avatar_bit) user.avatar.assign(u.avatar);
  if (u.present & UserFields::discriminator_bit) user.discriminator = u.discriminator;
  if (u.present & UserFields::bot_bit) user.bot = u.bot;
  if (u.present & UserFields::system_bit) user.system = u.system;
  if (u.present & UserFields::public_flags_bit) user.public_flags = u.public_flags;
}

template <class Object>
void read_user_fields(CachedUser& user, Object& json) {
  UserFields u;
  read_fields(u, json);
  store_fields(user, u);
}

template <class Object>
std::uint64_t acquire(State& state, Object& o, std::uint64_t id) {
  if (id == 0) return 0;
  CachedUser& user = state.users.upsert(id);
  read_user_fields(user, o);
  ++user.refs;
  return id;
}

template <class Object>
void update(State& state, Object& o, std::uint64_t id) {
  if (CachedUser* user = state.users.find(id)) read_user_fields(*user, o);
}

}  // namespace

void read_user_fields(UserFields& out, object o) { read_fields(out, o); }

void UserPipeline::push() {
  const std::uint64_t id = ring_[(head_ + count_) % depth].id;
  state_.users.prefetch_bucket(id);
  ++count_;
  // The bucket of the user pushed `entity_lag` pushes ago has had time to arrive: now its entity.
  if (count_ > entity_lag) state_.users.prefetch_entity(ring_[(head_ + count_ - 1 - entity_lag) % depth].id);
  if (count_ == depth) acquire_oldest();
}

void UserPipeline::flush() {
  while (count_ > 0) acquire_oldest();
}

void UserPipeline::acquire_oldest() {
  UserFields& u = ring_[head_];
  CachedUser& user = state_.users.upsert(u.id);
  store_fields(user, u);
  ++user.refs;
  head_ = (head_ + 1) % depth;
  --count_;
}

std::uint64_t object_id(object o) noexcept { return snowflake(o["id"]); }

std::uint64_t acquire_user(State& state, element user_json) {
  object o;
  return as_object(user_json, o) ? acquire(state, o, object_id(o)) : 0;
}

std::uint64_t acquire_user(State& state, object o, std::uint64_t id) { return acquire(state, o, id); }

void release_user(State& state, std::uint64_t user_id) {
  CachedUser* user = state.users.find(user_id);
  if (!user) return;
  if (user->refs <= 1) {
    state.users.erase(user_id);
  } else {
    --user->refs;
  }
}

void update_user(State& state, element user_json) {
  object o;
  if (as_object(user_json, o)) update(state, o, object_id(o));
}

void update_user(State& state, object o, std::uint64_t id) { update(state, o, id); }

void apply_user_update(State& state, element data) {
  // USER_UPDATE is about the bot's own user, which READY pinned.
  update_user(state, data);
}

}  // namespace megane::cache
