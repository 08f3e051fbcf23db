// Appending JSON text to a std::string: the payload builders write Discord objects field by field
// with these, without a DOM, because GUILD_CREATEs for thousands of guilds and bursts of
// MESSAGE_CREATEs must be cheap to produce.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fakecord::json {

// "text", escaped per RFC 8259.
void str(std::string& out, std::string_view text);
// A snowflake: Discord sends ids as JSON strings.
void id(std::string& out, std::uint64_t value);
void num(std::string& out, std::uint64_t value);
void num(std::string& out, std::int64_t value);
inline void raw(std::string& out, std::string_view text) { out.append(text); }
// A nullable snowflake: 0 writes null.
void id_or_null(std::string& out, std::uint64_t value);
void boolean(std::string& out, bool value);
// "YYYY-MM-DDTHH:MM:SS.mmm000+00:00", the ISO 8601 form Discord uses for timestamps.
void timestamp(std::string& out, std::uint64_t unix_ms);
// Digits of value without quotes into buf (>= 20 chars); returns the length.
std::size_t digits(char* buf, std::uint64_t value);

}  // namespace fakecord::json
