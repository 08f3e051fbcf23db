#include "metrics/exposition.hpp"

#include <cmath>

#include <fmt/format.h>

namespace megane::daemon {

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Exposition::family(std::string_view name, Type type, std::string_view help) {
  const char* type_name = type == Type::gauge ? "gauge" : type == Type::counter ? "counter" : "info";
  out_ += fmt::format("# TYPE {} {}\n# HELP {} {}\n", name, type_name, name, help);
  sample_name_ = std::string(name);
  if (type == Type::counter) sample_name_ += "_total";
  if (type == Type::info) sample_name_ += "_info";
}

void Exposition::sample(const Labels& labels, double value) {
  out_ += sample_name_;
  if (!labels.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += fmt::format("{}=\"{}\"", labels[i].first, escape_label(labels[i].second));
    }
    out_ += '}';
  }
  if (std::isnan(value)) out_ += " NaN\n";
  else if (std::isinf(value)) out_ += value > 0 ? " +Inf\n" : " -Inf\n";
  else out_ += fmt::format(" {}\n", value);
}

std::string Exposition::finish() {
  out_ += "# EOF\n";
  return std::move(out_);
}

}  // namespace megane::daemon
