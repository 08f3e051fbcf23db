#include "toml_reader.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace megane::daemon {

namespace {

Position position_of(const toml::source_region& region) {
  return Position{region.begin.line, region.begin.column};
}

bool before(const Position& a, const Position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

class TomlConverter {
 public:
  // Returns nullopt when the whole conversion succeeded; else the first problem.
  std::optional<TreeError> convert(const toml::node& in, Node& out, const std::string& path) {
    out.pos = position_of(in.source());
    switch (in.type()) {
      case toml::node_type::table: {
        out.kind = NodeKind::table;
        for (auto&& [key, value] : *in.as_table()) {
          Member member;
          member.key = std::string(key.str());
          member.key_pos = position_of(key.source());
          if (auto error = convert(value, member.value, join_key(path, member.key))) return error;
          out.members.push_back(std::move(member));
        }
        // toml++ keeps keys sorted by name; the validator walks file order so that the
        // first problem it reports is the first one in the file.
        std::stable_sort(out.members.begin(), out.members.end(),
                         [](const Member& a, const Member& b) { return before(a.key_pos, b.key_pos); });
        return std::nullopt;
      }
      case toml::node_type::array: {
        out.kind = NodeKind::array;
        const toml::array& array = *in.as_array();
        for (std::size_t i = 0; i < array.size(); ++i) {
          Node item;
          if (auto error = convert(array[i], item, fmt::format("{}[{}]", path, i))) return error;
          out.items.push_back(std::move(item));
        }
        return std::nullopt;
      }
      case toml::node_type::string:
        out.kind = NodeKind::string;
        out.text = *in.value<std::string>();
        return std::nullopt;
      case toml::node_type::integer:
        out.kind = NodeKind::integer;
        out.integer = *in.value<std::int64_t>();
        return std::nullopt;
      case toml::node_type::floating_point:
        out.kind = NodeKind::floating;
        out.floating = *in.value<double>();
        return std::nullopt;
      case toml::node_type::boolean:
        out.kind = NodeKind::boolean;
        out.boolean = *in.value<bool>();
        return std::nullopt;
      case toml::node_type::date:
      case toml::node_type::time:
      case toml::node_type::date_time:
        return TreeError{out.pos, path,
                         "dates and times are not used by any key (durations are strings "
                         "like \"5s\")"};
      case toml::node_type::none:
        break;
    }
    return TreeError{out.pos, path, "unsupported TOML value"};
  }
};

}  // namespace

TreeResult read_toml(std::string_view text, std::string_view source_name) {
  try {
    const toml::table table = toml::parse(text, source_name);
    Node root;
    if (auto error = TomlConverter{}.convert(table, root, "")) return *error;
    // The root table has no text of its own; line 1 keeps "missing key" errors in range.
    root.pos = Position{1, 1};
    return root;
  } catch (const toml::parse_error& error) {
    std::string message(error.description());
    // toml++ says "Error while parsing <thing>: <problem>"; lead with the problem.
    constexpr std::string_view prefix = "Error while parsing ";
    if (const auto colon = message.find(": "); message.starts_with(prefix) && colon != std::string::npos) {
      message = fmt::format("{} (in {})", message.substr(colon + 2),
                            message.substr(prefix.size(), colon - prefix.size()));
    }
    return TreeError{position_of(error.source()), {}, std::move(message)};
  } catch (const std::exception& error) {
    return TreeError{{}, {}, fmt::format("cannot read TOML: {}", error.what())};
  }
}

}  // namespace megane::daemon
