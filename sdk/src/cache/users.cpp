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
void read_user_fields(CachedUser& user, Object& json) {
  for_each_field(json, [&](std::string_view k, auto& value) {
    if (k == "username") {
      user.username.assign(text(value));
    } else if (k == "global_name") {
      user.global_name.assign(text(value));
    } else if (k == "avatar") {
      user.avatar.assign(text(value));
    } else if (k == "discriminator") {
      user.discriminator = discriminator(text(value));
    } else if (k == "bot") {
      user.bot = boolean(value);
    } else if (k == "system") {
      user.system = boolean(value);
    } else if (k == "public_flags") {
      user.public_flags = narrow<std::uint32_t>(uint(value));
    }
  });
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

std::uint64_t object_id(object o) noexcept { return snowflake(o["id"]); }

std::uint64_t object_id(od::object& o) noexcept {
  // Discord sends "id" first, so finding it costs one key; then back to the start for the
  // walk over every field.
  od::value id;
  const std::uint64_t v = o.find_field_unordered("id").get(id) == simdjson::SUCCESS ? snowflake(id) : 0;
  if (o.reset().error() != simdjson::SUCCESS) return 0;
  return v;
}

std::uint64_t acquire_user(State& state, element user_json) {
  object o;
  return as_object(user_json, o) ? acquire(state, o, object_id(o)) : 0;
}

std::uint64_t acquire_user(State& state, object o, std::uint64_t id) { return acquire(state, o, id); }
std::uint64_t acquire_user(State& state, od::object& o, std::uint64_t id) { return acquire(state, o, id); }

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
void update_user(State& state, od::object& o, std::uint64_t id) { update(state, o, id); }

void apply_user_update(State& state, element data) {
  // USER_UPDATE is about the bot's own user, which READY pinned.
  update_user(state, data);
}

}  // namespace megane::cache
