// Writes the OpenMetrics 1.0 text format (what Prometheus scrapes): one "# TYPE" and "# HELP"
// line per family, its samples right after, label values escaped, "# EOF" at the end.
// Counters are declared without their "_total" suffix, which their samples carry.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace megane::daemon {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

class Exposition {
 public:
  enum class Type { gauge, counter, info };

  // Starts a family; the samples that follow belong to it.
  void family(std::string_view name, Type type, std::string_view help);
  void sample(const Labels& labels, double value);
  // The text, ending with "# EOF\n".
  std::string finish();

 private:
  std::string out_;
  std::string sample_name_;
};

// A label value with \, " and newlines escaped.
std::string escape_label(std::string_view value);

}  // namespace megane::daemon
