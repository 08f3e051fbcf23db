#include "stats/json_object.hpp"

#include <simdjson.h>

namespace megane::daemon {

std::optional<std::string> compact_json_object(std::string_view text, std::string& why) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::dom::element root;
  if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    why = std::string("not valid JSON: ") + simdjson::error_message(error);
    return std::nullopt;
  }
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    why = "not a JSON object";
    return std::nullopt;
  }
  return simdjson::minify(root);
}

}  // namespace megane::daemon
