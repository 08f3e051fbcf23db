// Discord objects of the generated population as JSON text, with the field names and shapes of
// the v10 docs (user, guild member, role, channel, and the GUILD_CREATE guild object).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "fakecord/population.hpp"

namespace fakecord {

void append_user(std::string& out, const UserInfo& user);
// A guild member object (with its nested user when with_user).
void append_member(std::string& out, const Population& pop, std::size_t guild, std::uint32_t j,
                   bool with_user);
void append_role(std::string& out, const Population& pop, std::size_t guild, std::uint32_t k);
// Channels inside GUILD_CREATE carry no guild_id (as on Discord); with_guild_id adds it.
void append_channel(std::string& out, const Population& pop, std::size_t guild, std::uint32_t k,
                    bool with_guild_id);
// The `d` of a GUILD_CREATE: the guild object plus joined_at, large, member_count, members,
// channels, threads, presences, voice_states and friends.
void append_guild_create(std::string& out, const Population& pop, std::size_t guild,
                         std::uint32_t large_threshold);

}  // namespace fakecord
