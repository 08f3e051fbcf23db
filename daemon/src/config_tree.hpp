// The format-neutral tree that both config readers (TOML and JSON) produce. The schema
// validator only ever sees this, so both formats share every check and every message.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace megane::daemon {

// 1-based; {0, 0} means "no position known".
struct Position {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

enum class NodeKind { table, array, string, integer, floating, boolean };

struct Member;

struct Node {
  NodeKind kind = NodeKind::table;
  Position pos;                  // where the value starts ('{' / '[' / '[header]' for tables)
  std::string text;              // string
  std::int64_t integer = 0;      // integer
  double floating = 0.0;         // floating
  bool boolean = false;          // boolean
  std::vector<Node> items;       // array
  std::vector<Member> members;   // table, in file order

  // The member named `key`, or nullptr; only meaningful for tables.
  const Member* find(std::string_view key) const;
};

struct Member {
  std::string key;
  Position key_pos;
  Node value;
};

// A syntax error (or a value the tree cannot hold, such as JSON null) found while reading.
struct TreeError {
  Position pos;
  std::string key;       // dotted path when known (e.g. for null); empty for syntax errors
  std::string message;
};

using TreeResult = std::variant<Node, TreeError>;

// "a string", "an integer", ... for "expected X" messages.
std::string_view kind_name(NodeKind kind);

// The value as a message shows it: `string "auto"`, `integer -3`, `boolean true`, `an array`.
std::string describe(const Node& node);

// A user string in double quotes, control characters escaped, cut after `max_chars` characters
// so an error stays one readable line (paths pass a larger limit: they must stay whole).
std::string quote(std::string_view text, std::size_t max_chars = 60);

// "sharding" + "cores" -> "sharding.cores"; keys that are not bare words get quoted.
std::string join_key(std::string_view parent, std::string_view key);

// The closest candidate to `word` when it is plausibly a typo, else nullopt.
std::optional<std::string_view> suggest(std::string_view word,
                                        std::span<const std::string_view> candidates);

// Typed, checked access to a tree for the schema: each getter returns the value or records
// an error at the value's position (unknown keys at the key's), so the schema reads like a
// list of rules and every format gets the same messages.
class TreeChecker {
 public:
  // `directory` anchors relative paths: the config file's directory.
  explicit TreeChecker(std::filesystem::path directory) : directory_(std::move(directory)) {}

  // The value of `key` in `table`, or nullptr when absent.
  static const Node* get(const Node& table, std::string_view key);
  // A top-level table; records "missing required table" when absent and `required_hint` is
  // not empty, and a type error when it is not a table. nullptr unless it is a usable table.
  const Node* section(const Node& root, std::string_view name, std::string_view required_hint);
  // Records every key of `table` not in `known`, with a typo suggestion.
  void check_keys(const Node& table, std::string_view path,
                  std::span<const std::string_view> known);

  std::optional<std::int64_t> integer(const Node& v, const std::string& key, std::int64_t lo,
                                      std::int64_t hi, std::string_view expected = {});
  std::optional<std::string> string(const Node& v, const std::string& key);
  const std::vector<Node>* array(const Node& v, const std::string& key);
  std::optional<std::chrono::milliseconds> duration(const Node& v, const std::string& key,
                                                    bool zero_allowed);
  // A non-empty string made absolute against directory() and lexically normalised.
  std::optional<std::filesystem::path> resolved_path(const Node& v, const std::string& key);
  // A resolved_path() that is an existing regular file meganed may execute.
  std::optional<std::filesystem::path> executable_path(const Node& v, const std::string& key);
  // A resolved_path() that is an existing directory, without a trailing '/'.
  std::optional<std::filesystem::path> directory_path(const Node& v, const std::string& key);

  void type_error(const Node& v, const std::string& key, std::string_view expected);
  void error(Position at, std::string key, std::string message);
  // A required key absent from the table at `table_pos`. Ranked after every other error in
  // the file, because a misspelt key ("shard") explains its absence better.
  void missing(Position table_pos, std::string key, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  bool failed_at(Position at) const;
  // The first error by position; then missing keys; errors about the file as a whole
  // (line 0) come last. Only meaningful when has_errors().
  TreeError first_error() const;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  struct Recorded {
    TreeError error;
    int rank;  // 0 positioned, 1 missing key, 2 whole file
  };

  std::filesystem::path directory_;
  std::vector<Recorded> errors_;
};

}  // namespace megane::daemon
