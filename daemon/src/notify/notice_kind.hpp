// What [notifications] can send to Discord, by the names `notifications.events` lists. Kept
// apart from the notifier so the config loader can check the names without the event loop.
// The names are the contract with operators (config files) and with other parts of meganed:
// rolling_restart_finished is matched by that name on the event hub (docs/configuration.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace megane::daemon {

enum class NoticeKind : std::uint8_t {
  cluster_exited = 0,       // a cluster process exited without being asked to
  cluster_quarantined = 1,
  cluster_failed = 2,       // exited with the do-not-restart code
  cluster_restarted = 3,    // a cluster is ready again after its previous process ended
  service_exited = 4,
  service_quarantined = 5,
  service_failed = 6,
  shard_down = 7,           // a shard down longer than shard_down_after (and when it is back)
  identify_budget_low = 8,  // the day's remaining identifies fell below the threshold
  rolling_restart_finished = 9,
};

inline constexpr std::array<std::string_view, 10> notice_kind_names{
    "cluster_exited", "cluster_quarantined", "cluster_failed",      "cluster_restarted",
    "service_exited", "service_quarantined", "service_failed",      "shard_down",
    "identify_budget_low", "rolling_restart_finished"};

inline constexpr std::uint32_t notice_bit(NoticeKind kind) noexcept {
  return 1u << static_cast<unsigned>(kind);
}
inline constexpr std::uint32_t all_notice_kinds = (1u << notice_kind_names.size()) - 1;

std::string_view to_string(NoticeKind kind) noexcept;
std::optional<NoticeKind> notice_kind_from(std::string_view name) noexcept;

}  // namespace megane::daemon
