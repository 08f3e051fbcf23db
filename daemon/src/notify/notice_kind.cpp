#include "notify/notice_kind.hpp"

namespace megane::daemon {

std::string_view to_string(NoticeKind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < notice_kind_names.size() ? notice_kind_names[i] : std::string_view("unknown");
}

std::optional<NoticeKind> notice_kind_from(std::string_view name) noexcept {
  for (std::size_t i = 0; i < notice_kind_names.size(); ++i)
    if (notice_kind_names[i] == name) return static_cast<NoticeKind>(i);
  return std::nullopt;
}

}  // namespace megane::daemon
