#include "json_reader.hpp"

#include <charconv>
#include <cstdint>
#include <unordered_map>

#include <fmt/format.h>

namespace megane::daemon {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  TreeResult run() {
    // Editors on some systems prepend a BOM; RFC 8259 lets a parser ignore it.
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    skip_whitespace();
    if (at_end()) {
      fail({1, 1}, "the file is empty; expected a JSON object");
      return error_;
    }
    Node root;
    if (!value(root, 1)) return error_;
    skip_whitespace();
    if (!at_end()) {
      fail(here(), fmt::format("unexpected {} after the end of the JSON document", shown()));
      return error_;
    }
    return root;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  Position here() const { return {line_, column_}; }

  // Columns count code points: a byte that continues a UTF-8 sequence does not move them.
  void advance() {
    const char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if (at_end() || !is_continuation(text_[pos_])) {
      ++column_;
    }
  }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      advance();
    }
  }

  // The character at the cursor as a message shows it.
  std::string shown() const {
    if (at_end()) return "end of file";
    const auto c = static_cast<unsigned char>(peek());
    if (c == '\n' || c == '\r') return "line break";
    if (c > 0x20 && c < 0x7f) return fmt::format("'{}'", static_cast<char>(c));
    return fmt::format("byte 0x{:02X}", c);
  }

  bool fail(Position at, std::string message, std::string key = {}) {
    error_ = TreeError{at, std::move(key), std::move(message)};
    return false;
  }

  // "expected X, got Y" at the cursor, naming the two habits JSON refuses.
  bool fail_expected(std::string_view what) {
    if (peek() == '/') return fail(here(), "comments are not allowed in JSON");
    if (peek() == '\'') return fail(here(), "JSON strings need double quotes");
    return fail(here(), fmt::format("expected {}, got {}", what, shown()));
  }

  bool value(Node& out, int depth) {
    out.pos = here();
    const char c = peek();
    if (at_end()) return fail(here(), "unexpected end of file, expected a value");
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out.kind = NodeKind::string;
      return string(out.text);
    }
    if (c == '-' || is_digit(c)) return number(out);
    if (is_word_char(c)) return word(out);
    return fail_expected("a value");
  }

  bool object(Node& out, int depth) {
    if (depth > json_max_depth) {
      return fail(here(), fmt::format("nesting is deeper than {} levels", json_max_depth));
    }
    const Position open = here();
    out.kind = NodeKind::table;
    advance();  // '{'
    std::unordered_map<std::string, std::size_t> seen;
    skip_whitespace();
    if (peek() == '}') {
      advance();
      return true;
    }
    for (;;) {
      skip_whitespace();
      if (at_end()) return unclosed("object", open);
      if (peek() != '"') return fail_expected("a string key");
      Member member;
      member.key_pos = here();
      if (!string(member.key)) return false;
      if (const auto it = seen.find(member.key); it != seen.end()) {
        const Position first = out.members[it->second].key_pos;
        return fail(member.key_pos,
                    fmt::format("duplicate key {} (first defined at line {}, column {})",
                                quote(member.key), first.line, first.column));
      }
      skip_whitespace();
      if (peek() != ':') {
        return fail(here(),
                    fmt::format("expected ':' after key {}, got {}", quote(member.key), shown()));
      }
      advance();
      skip_whitespace();
      const std::size_t saved = path_.size();
      path_ = join_key(path_, member.key);
      if (!value(member.value, depth + 1)) return false;
      path_.resize(saved);
      seen.emplace(member.key, out.members.size());
      out.members.push_back(std::move(member));
      if (!after_element('}', "object member", open)) return false;
      if (closed_) return true;
    }
  }

  bool array(Node& out, int depth) {
    if (depth > json_max_depth) {
      return fail(here(), fmt::format("nesting is deeper than {} levels", json_max_depth));
    }
    const Position open = here();
    out.kind = NodeKind::array;
    advance();  // '['
    skip_whitespace();
    if (peek() == ']') {
      advance();
      return true;
    }
    for (;;) {
      skip_whitespace();
      if (at_end()) return unclosed("array", open);
      const std::size_t saved = path_.size();
      path_ += fmt::format("[{}]", out.items.size());
      Node item;
      if (!value(item, depth + 1)) return false;
      path_.resize(saved);
      out.items.push_back(std::move(item));
      if (!after_element(']', "array element", open)) return false;
      if (closed_) return true;
    }
  }

  // After a member or element: ',' continues (but never right before the closer), the
  // closer ends the container (sets closed_), anything else is an error.
  bool after_element(char closer, std::string_view what, Position open) {
    closed_ = false;
    skip_whitespace();
    if (at_end()) return unclosed(closer == '}' ? "object" : "array", open);
    if (peek() == closer) {
      advance();
      closed_ = true;
      return true;
    }
    if (peek() != ',') return fail_expected(fmt::format("',' or '{}' after an {}", closer, what));
    const Position comma = here();
    advance();
    skip_whitespace();
    if (peek() == closer) return fail(comma, "trailing comma is not allowed in JSON");
    return true;
  }

  bool unclosed(std::string_view what, Position open) {
    return fail(here(), fmt::format("unexpected end of file: the {} opened at line {}, column {} "
                                    "is not closed",
                                    what, open.line, open.column));
  }

  bool string(std::string& out) {
    const Position open = here();
    advance();  // '"'
    for (;;) {
      if (at_end()) return fail(open, "unterminated string");
      const char c = peek();
      const auto u = static_cast<unsigned char>(c);
      if (c == '"') {
        advance();
        return true;
      }
      if (c == '\\') {
        if (!escape(out)) return false;
      } else if (c == '\n' || c == '\r') {
        return fail(open, "unterminated string (a line break inside a string must be written \\n)");
      } else if (u < 0x20) {
        return fail(here(), fmt::format("control character U+{:04X} must be escaped in a string", u));
      } else if (u < 0x80) {
        out += c;
        advance();
      } else if (!utf8_sequence(out)) {
        return false;
      }
    }
  }

  bool escape(std::string& out) {
    const Position at = here();
    advance();  // '\'
    if (at_end()) return fail(at, "unterminated string");
    const char c = peek();
    advance();
    switch (c) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      default: break;
    }
    if (c != 'u') {
      const bool printable = c > 0x20 && c < 0x7f;
      return fail(at, printable ? fmt::format("invalid escape sequence '\\{}'", c)
                                : std::string("invalid escape sequence"));
    }
    std::uint32_t cp = 0;
    if (!hex4(at, cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(at, "unpaired low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // UTF-16 surrogate pair: the high half must be followed by "\u" and a low half.
      const Position low_at = here();
      if (!text_.substr(pos_).starts_with("\\u")) {
        return fail(at, "high surrogate in \\u escape is not followed by a low surrogate");
      }
      advance();
      advance();
      std::uint32_t low = 0;
      if (!hex4(low_at, low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) {
        return fail(low_at, "expected a low surrogate (\\uDC00 to \\uDFFF) after a high surrogate");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  bool hex4(Position at, std::uint32_t& cp) {
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      std::uint32_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return fail(at, "\\u must be followed by four hexadecimal digits");
      }
      cp = cp * 16 + digit;
      advance();
    }
    return true;
  }

  // Copies one multi-byte UTF-8 character, refusing overlong forms, surrogates and values
  // above U+10FFFF, so the tree only ever holds valid UTF-8.
  bool utf8_sequence(std::string& out) {
    const Position at = here();
    const auto lead = static_cast<unsigned char>(peek());
    std::size_t length = 0;
    std::uint32_t cp = 0;
    std::uint32_t minimum = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, cp = lead & 0x1Fu, minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, cp = lead & 0x0Fu, minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, cp = lead & 0x07u, minimum = 0x10000;
    } else {
      return fail(at, "invalid UTF-8 in string");
    }
    if (text_.size() - pos_ < length) return fail(at, "invalid UTF-8 in string");
    for (std::size_t k = 1; k < length; ++k) {
      const char next = text_[pos_ + k];
      if (!is_continuation(next)) return fail(at, "invalid UTF-8 in string");
      cp = (cp << 6) | (static_cast<unsigned char>(next) & 0x3Fu);
    }
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return fail(at, "invalid UTF-8 in string");
    }
    for (std::size_t k = 0; k < length; ++k) {
      out += peek();
      advance();
    }
    return true;
  }

  bool number(Node& out) {
    const Position at = here();
    const std::size_t start = pos_;
    bool integral = true;
    if (peek() == '-') advance();
    if (!is_digit(peek())) return fail(here(), fmt::format("expected a digit, got {}", shown()));
    if (peek() == '0') {
      advance();
      if (is_digit(peek())) return fail(at, "leading zeros are not allowed in JSON numbers");
    }
    while (is_digit(peek())) advance();
    if (peek() == '.') {
      integral = false;
      advance();
      if (!is_digit(peek())) return fail(here(), fmt::format("expected a digit after '.', got {}", shown()));
      while (is_digit(peek())) advance();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      advance();
      if (peek() == '+' || peek() == '-') advance();
      if (!is_digit(peek())) return fail(here(), fmt::format("expected a digit in the exponent, got {}", shown()));
      while (is_digit(peek())) advance();
    }
    const std::string_view literal = text_.substr(start, pos_ - start);
    const char* first = literal.data();
    const char* last = literal.data() + literal.size();
    if (integral) {
      std::int64_t value = 0;
      if (std::from_chars(first, last, value).ec == std::errc{}) {
        out.kind = NodeKind::integer;
        out.integer = value;
        return true;
      }
      // Too large for int64: kept as a float, as the contract says; the schema then
      // reports "expected an integer" with the value.
    }
    double value = 0;
    if (std::from_chars(first, last, value).ec != std::errc{}) {
      return fail(at, fmt::format("number {} is out of range", quote(literal)));
    }
    out.kind = NodeKind::floating;
    out.floating = value;
    return true;
  }

  bool word(Node& out) {
    const Position at = here();
    const std::size_t start = pos_;
    while (is_word_char(peek())) advance();
    const std::string_view w = text_.substr(start, pos_ - start);
    if (w == "true" || w == "false") {
      out.kind = NodeKind::boolean;
      out.boolean = w == "true";
      return true;
    }
    if (w == "null") return fail(at, "null is not allowed (remove the key to get the default)", path_);
    return fail(at, fmt::format("unexpected word {} (JSON values are objects, arrays, \"strings\", "
                                "numbers, true and false)",
                                quote(w)));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
  bool closed_ = false;  // set by after_element when the container's closer was consumed
  std::string path_;     // dotted key of the value being read, for errors that name a key
  TreeError error_;
};

}  // namespace

TreeResult read_json(std::string_view text) { return JsonReader(text).run(); }

}  // namespace megane::daemon
