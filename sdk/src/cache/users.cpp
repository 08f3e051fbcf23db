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

}  // namespace

void read_user_fields(CachedUser& user, object json) {
  for (const auto field : json) {
    const std::string_view k = field.key;
    if (k == "username") {
      user.username.assign(text(field.value));
    } else if (k == "global_name") {
      user.global_name.assign(text(field.value));
    } else if (k == "avatar") {
      user.avatar.assign(text(field.value));
    } else if (k == "discriminator") {
      user.discriminator = discriminator(text(field.value));
    } else if (k == "bot") {
      user.bot = boolean(field.value);
    } else if (k == "system") {
      user.system = boolean(field.value);
    } else if (k == "public_flags") {
      user.public_flags = narrow<std::uint32_t>(uint(field.value));
    }
  }
}

std::uint64_t acquire_user(State& state, element user_json) {
  object o;
  if (user_json.get_object().get(o) != simdjson::SUCCESS) return 0;
  const std::uint64_t id = snowflake(o["id"]);
  if (id == 0) return 0;
  CachedUser& user = state.users.upsert(id);
  read_user_fields(user, o);
  ++user.refs;
  return id;
}

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
  if (user_json.get_object().get(o) != simdjson::SUCCESS) return;
  if (CachedUser* user = state.users.find(snowflake(o["id"]))) read_user_fields(*user, o);
}

void apply_user_update(State& state, element data) {
  // USER_UPDATE is about the bot's own user, which READY pinned.
  update_user(state, data);
}

}  // namespace megane::cache
