#include "json_read.hpp"

namespace megane::cache {
namespace {

// The n (<= 4) characters at pos as a decimal int, all of them used; as std::from_chars<int>
// reads them (an optional '-', then digits), without its general-purpose overhead: a
// GUILD_CREATE of 100 members has ~100 timestamps of six fields each.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size() || n == 0) return false;
  const char* p = s.data() + pos;
  std::size_t i = 0;
  const bool negative = p[0] == '-';
  if (negative && n == 1) return false;
  if (negative) i = 1;
  int v = 0;
  for (; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(p[i]) - unsigned{'0'};
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  out = negative ? -v : v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace

std::uint64_t parse_snowflake(std::string_view s) noexcept {
  // What std::from_chars<uint64_t> accepts (digits only, all of them, no overflow), in a loop
  // that checks for overflow only past 19 digits: every id, permission set and role of a
  // GUILD_CREATE comes through here (~2 % of caching one, from_chars, measured).
  if (s.empty()) return 0;
  std::uint64_t id = 0;
  const std::size_t safe = s.size() < 19 ? s.size() : 19;  // 19 digits always fit
  for (std::size_t i = 0; i < safe; ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - unsigned{'0'};
    if (d > 9) return 0;
    id = id * 10 + d;
  }
  for (std::size_t i = safe; i < s.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - unsigned{'0'};
    if (d > 9 || __builtin_mul_overflow(id, 10u, &id) || __builtin_add_overflow(id, d, &id)) return 0;
  }
  return id;
}

std::uint64_t snowflake(element value) noexcept {
  std::string_view s;
  if (value.get_string().get(s) == simdjson::SUCCESS) return parse_snowflake(s);
  std::uint64_t id = 0;
  return value.get_uint64().get(id) == simdjson::SUCCESS ? id : 0;
}

std::uint64_t snowflake(simdjson::simdjson_result<element> value) noexcept {
  element e;
  return value.get(e) == simdjson::SUCCESS ? snowflake(e) : 0;
}

std::string_view text(element value) noexcept {
  std::string_view s;
  return value.get_string().get(s) == simdjson::SUCCESS ? s : std::string_view{};
}

std::uint64_t uint(element value) noexcept {
  std::uint64_t v = 0;
  return value.get_uint64().get(v) == simdjson::SUCCESS ? v : 0;
}

bool boolean(element value) noexcept {
  bool b = false;
  return value.get_bool().get(b) == simdjson::SUCCESS && b;
}

std::int64_t timestamp_ms(element value) noexcept {
  std::string_view s;
  return value.get_string().get(s) == simdjson::SUCCESS ? parse_timestamp_ms(s) : 0;
}

std::int64_t parse_timestamp_ms(std::string_view s) noexcept {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
    return 0;
  }
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    int scale = 100;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
    }
  }
  int offset_min = 0;
  if (pos + 6 <= s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (digits(s, pos + 1, 2, oh) && digits(s, pos + 4, 2, om)) offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
  }
  const std::int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return secs * 1000 + ms;
}

}  // namespace megane::cache
