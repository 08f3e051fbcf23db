// The [notifications] section: where meganed posts notices (a channel through the REST API
// with the bot token, or a webhook), which events, and how they are batched. Kept apart from
// config_schema.cpp, which calls this with its TreeChecker after [gateway] (a channel target
// needs the token source and inherits api_url and ca_file from there).
#pragma once

#include "config.hpp"
#include "config_tree.hpp"

namespace megane::daemon {

// [notifications] into config.notifications (nullopt when the section is absent: no notices).
void read_notifications_section(TreeChecker& check, const Node& root, Config& config);

// "/api/webhooks/ID/TOKEN" -> "ID": what logs and errors may show of a webhook (its token is a
// credential). Empty when `path` does not end in /webhooks/ID/TOKEN.
std::string webhook_id_of(std::string_view path);

}  // namespace megane::daemon
