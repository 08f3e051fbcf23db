#include "meganectl/json_text.hpp"

#include <memory>

#include <fmt/format.h>
#include <simdjson.h>

#include <megane/proto/json_string.hpp>

namespace megane::ctl {

std::optional<std::string> json_error(std::string_view text) {
  // The DOM parser validates the whole text (ondemand would only check what it visits).
  simdjson::dom::parser parser;
  const auto parsed = parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true);
  if (parsed.error() == simdjson::SUCCESS) return std::nullopt;
  if (parsed.error() == simdjson::EMPTY) return std::string("it is empty");
  return std::string(simdjson::error_message(parsed.error()));
}

std::string quote_json(std::string_view text) { return proto::json_string(text); }

std::string one_line_json(std::string_view text) {
  if (json_error(text)) return quote_json(text);
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(text.data(), text.size(), out.data(), length) != simdjson::SUCCESS) {
    return quote_json(text);
  }
  out.resize(length);
  return out;
}

}  // namespace megane::ctl
