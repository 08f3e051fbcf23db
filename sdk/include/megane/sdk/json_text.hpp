// JSON text that travels through meganed untouched (command data, answers, event bodies),
// with a simdjson view parsed on first use. The daemon never parses it; by convention every
// megane peer sends JSON, so the SDK gives the bot a typed view instead of a byte string.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace megane {

class JsonText {
 public:
  JsonText() noexcept;
  explicit JsonText(std::string text) noexcept;
  // Copies carry the text only; each copy parses again on demand (a parser is not copyable).
  JsonText(const JsonText& other);
  JsonText& operator=(const JsonText& other);
  JsonText(JsonText&&) noexcept;
  JsonText& operator=(JsonText&&) noexcept;
  ~JsonText();

  // The raw bytes, exactly as sent.
  const std::string& text() const noexcept { return text_; }
  bool empty() const noexcept { return text_.empty(); }

  // The text parsed as a DOM (parsed once, on the first call). Invalid JSON is an error value
  // (`.error()`), not an exception, unless you use simdjson's throwing accessors, e.g.
  // `std::string_view op = request.json()["op"];`. The element stays valid as long as this
  // object lives and is not assigned to.
  simdjson::simdjson_result<simdjson::dom::element> json() const;

 private:
  struct Parsed;

  std::string text_;
  mutable std::unique_ptr<Parsed> parsed_;
};

}  // namespace megane
