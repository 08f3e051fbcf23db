#include "config_tree.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <tuple>

#include <fmt/format.h>

#include "duration.hpp"

namespace megane::daemon {

const Member* Node::find(std::string_view key) const {
  for (const Member& m : members) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

std::string_view kind_name(NodeKind kind) {
  switch (kind) {
    case NodeKind::table: return "a table";
    case NodeKind::array: return "an array";
    case NodeKind::string: return "a string";
    case NodeKind::integer: return "an integer";
    case NodeKind::floating: return "a float";
    case NodeKind::boolean: return "a boolean";
  }
  return "a value";
}

std::string describe(const Node& node) {
  switch (node.kind) {
    case NodeKind::table: return "a table";
    case NodeKind::array: return "an array";
    case NodeKind::string: return "string " + quote(node.text);
    case NodeKind::integer: return fmt::format("integer {}", node.integer);
    case NodeKind::floating: return fmt::format("float {}", node.floating);
    case NodeKind::boolean: return node.boolean ? "boolean true" : "boolean false";
  }
  return "a value";
}

std::string quote(std::string_view text, std::size_t max_chars) {
  // Long values (a pasted token, a whole file) would drown the message; the default is
  // enough to recognise what was written.
  std::string out = "\"";
  std::size_t shown = 0;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    // Count characters, not bytes, so the cut never splits a UTF-8 sequence.
    if ((u & 0xC0) != 0x80 && shown++ == max_chars) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string join_key(std::string_view parent, std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  std::string out(parent);
  if (!out.empty()) out += '.';
  if (bare) {
    out += key;
  } else {
    out += quote(key);
  }
  return out;
}

namespace {

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, because
// "shrads" for "shards" is the most common typo and should cost 1, not 2.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::optional<std::string_view> suggest(std::string_view word,
                                        std::span<const std::string_view> candidates) {
  // Keys are short; anything longer than a config key cannot be a typo of one, and the
  // quadratic distance table must stay small for hostile input.
  if (word.empty() || word.size() > 64) return std::nullopt;
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // One edit per three letters, at least one, at most three: "shard" -> "shards" yes,
  // "log" -> "bot" no.
  const std::size_t allowed = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  if (best && best_distance <= allowed && best_distance < word.size()) return best;
  return std::nullopt;
}

}  // namespace megane::daemon

// ---- TreeChecker -------------------------------------------------------------------------

namespace megane::daemon {

const Node* TreeChecker::get(const Node& table, std::string_view key) {
  const Member* m = table.find(key);
  return m ? &m->value : nullptr;
}

const Node* TreeChecker::section(const Node& root, std::string_view name,
                                 std::string_view required_hint) {
  const Node* v = get(root, name);
  if (!v) {
    if (!required_hint.empty()) {
      error({}, "", fmt::format("missing required table [{}] ({})", name, required_hint));
    }
    return nullptr;
  }
  if (v->kind != NodeKind::table) {
    type_error(*v, std::string(name), "a table");
    return nullptr;
  }
  return v;
}

void TreeChecker::check_keys(const Node& table, std::string_view path,
                             std::span<const std::string_view> known) {
  for (const Member& m : table.members) {
    if (std::find(known.begin(), known.end(), m.key) != known.end()) continue;
    std::string message = fmt::format("unknown key {} {}", quote(m.key),
                                      path.empty() ? std::string("at the top level")
                                                   : fmt::format("in [{}]", path));
    if (auto close = suggest(m.key, known)) {
      message += fmt::format(" (did you mean \"{}\"?)", *close);
    } else {
      message += " (known keys: ";
      for (std::size_t i = 0; i < known.size(); ++i) {
        message += (i ? ", " : "") + std::string(known[i]);
      }
      message += ")";
    }
    error(m.key_pos, join_key(path, m.key), std::move(message));
  }
}

std::optional<std::int64_t> TreeChecker::integer(const Node& v, const std::string& key,
                                                 std::int64_t lo, std::int64_t hi,
                                                 std::string_view expected) {
  const std::string wanted = expected.empty() ? fmt::format("an integer from {} to {}", lo, hi)
                                              : std::string(expected);
  if (v.kind != NodeKind::integer) {
    type_error(v, key, wanted);
    return std::nullopt;
  }
  if (v.integer < lo || v.integer > hi) {
    error(v.pos, key, fmt::format("expected {}, got {}", wanted, v.integer));
    return std::nullopt;
  }
  return v.integer;
}

std::optional<std::string> TreeChecker::string(const Node& v, const std::string& key) {
  if (v.kind != NodeKind::string) {
    type_error(v, key, "a string");
    return std::nullopt;
  }
  // Every string ends up in a C API (argv, environ, paths), which would silently cut it.
  if (v.text.find('\0') != std::string::npos) {
    error(v.pos, key, "must not contain a NUL character");
    return std::nullopt;
  }
  return v.text;
}

const std::vector<Node>* TreeChecker::array(const Node& v, const std::string& key) {
  if (v.kind != NodeKind::array) {
    type_error(v, key, "an array");
    return nullptr;
  }
  return &v.items;
}

std::optional<std::chrono::milliseconds> TreeChecker::duration(const Node& v,
                                                               const std::string& key,
                                                               bool zero_allowed) {
  DurationResult result;
  if (v.kind == NodeKind::string) {
    result = parse_duration(v.text);
  } else if (v.kind == NodeKind::integer) {
    result = duration_from_seconds(static_cast<double>(v.integer));
  } else if (v.kind == NodeKind::floating) {
    result = duration_from_seconds(v.floating);
  } else {
    type_error(v, key, "a duration such as \"5s\" or a number of seconds");
    return std::nullopt;
  }
  if (!result.ok()) {
    error(v.pos, key, std::move(result.error));
    return std::nullopt;
  }
  if (!zero_allowed && result.value.count() == 0) {
    error(v.pos, key, "expected a duration greater than zero, got " + describe(v));
    return std::nullopt;
  }
  return result.value;
}

std::optional<std::filesystem::path> TreeChecker::resolved_path(const Node& v,
                                                                const std::string& key) {
  auto text = string(v, key);
  if (!text) return std::nullopt;
  if (text->empty()) {
    error(v.pos, key, "expected a path, got an empty string");
    return std::nullopt;
  }
  std::filesystem::path path(*text);
  if (path.is_relative()) path = directory_ / path;
  return path.lexically_normal();
}

namespace {

// PATH_MAX: a path in a message is shown whole, it is the thing the operator must fix.
constexpr std::size_t path_chars = 4096;

// Why stat() on `path` (written as `v`) just failed, from errno.
std::string cannot_access(const Node& v, const std::filesystem::path& path) {
  const int saved = errno;
  if (saved == ENOENT || saved == ENOTDIR) {
    const bool relative = std::filesystem::path(v.text).is_relative();
    return fmt::format("{} does not exist{}", quote(path.string(), path_chars),
                       relative ? " (relative paths start at the config file's directory)" : "");
  }
  return fmt::format("cannot access {}: {}", quote(path.string(), path_chars), std::strerror(saved));
}

}  // namespace

std::optional<std::filesystem::path> TreeChecker::executable_path(const Node& v,
                                                                  const std::string& key) {
  auto path = resolved_path(v, key);
  if (!path) return std::nullopt;
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) {
    error(v.pos, key, cannot_access(v, *path));
  } else if (!S_ISREG(st.st_mode)) {
    error(v.pos, key, quote(path->string(), path_chars) + " is not a regular file");
  } else if (::access(path->c_str(), X_OK) != 0) {
    error(v.pos, key,
          fmt::format("{} is not executable (mode {:04o}); run chmod +x on it",
                      quote(path->string(), path_chars), st.st_mode & 07777));
  } else {
    return path;
  }
  return std::nullopt;
}

std::optional<std::filesystem::path> TreeChecker::directory_path(const Node& v,
                                                                 const std::string& key) {
  auto path = resolved_path(v, key);
  if (!path) return std::nullopt;
  // "." and ".." normalise to "dir/"; children and logs want the plain form.
  if (!path->has_filename() && path->has_relative_path()) *path = path->parent_path();
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) {
    error(v.pos, key, cannot_access(v, *path));
  } else if (!S_ISDIR(st.st_mode)) {
    error(v.pos, key, quote(path->string(), path_chars) + " is not a directory");
  } else {
    return path;
  }
  return std::nullopt;
}

void TreeChecker::type_error(const Node& v, const std::string& key, std::string_view expected) {
  error(v.pos, key, fmt::format("expected {}, got {}", expected, describe(v)));
}

void TreeChecker::error(Position at, std::string key, std::string message) {
  errors_.push_back(Recorded{TreeError{at, std::move(key), std::move(message)}, at.line ? 0 : 2});
}

void TreeChecker::missing(Position table_pos, std::string key, std::string message) {
  errors_.push_back(
      Recorded{TreeError{table_pos, std::move(key), std::move(message)}, table_pos.line ? 1 : 2});
}

bool TreeChecker::failed_at(Position at) const {
  return std::any_of(errors_.begin(), errors_.end(), [&](const Recorded& r) {
    return r.error.pos.line == at.line && r.error.pos.column == at.column;
  });
}

TreeError TreeChecker::first_error() const {
  const auto order = [](const Recorded& r) {
    return std::tuple(r.rank, r.error.pos.line, r.error.pos.column);
  };
  // min_element keeps the earliest recorded among equals: deterministic.
  return std::min_element(errors_.begin(), errors_.end(),
                          [&](const Recorded& a, const Recorded& b) { return order(a) < order(b); })
      ->error;
}

}  // namespace megane::daemon
