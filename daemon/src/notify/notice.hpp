// One line a notification message may carry, and what kind of event it came from (the kind
// decides whether the operator asked for it: notifications.events).
#pragma once

#include <string>

#include "notify/notice_kind.hpp"

namespace megane::daemon {

struct Notice {
  NoticeKind kind = NoticeKind::cluster_exited;
  std::string text;  // one line for people, no newline: "cluster 2 exited: exit code 1"
};

}  // namespace megane::daemon
