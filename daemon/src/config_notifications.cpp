#include "config_notifications.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "gateway/base_url.hpp"
#include "notify/notice_kind.hpp"

namespace megane::daemon {

namespace {

constexpr std::array<std::string_view, 9> notification_keys{
    "channel_id", "webhook_url", "api_url", "ca_file", "events", "batch_window", "shard_down_after",
    "identify_remaining_below", "queue_limit"};

constexpr Millis max_batch_window{3'600'000};

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A snowflake: up to 20 digits (2^64 has 20), not all zeros.
bool valid_snowflake(std::string_view text) {
  return all_digits(text) && text.size() <= 20 && text.find_first_not_of('0') != std::string_view::npos;
}

void read_channel_id(TreeChecker& check, const Node& v, NotificationsConfig& out) {
  if (v.kind == NodeKind::integer) {
    check.error(v.pos, "notifications.channel_id",
                fmt::format("write the channel id as a string, as Discord does: channel_id = \"{}\"", v.integer));
    return;
  }
  auto text = check.string(v, "notifications.channel_id");
  if (!text) return;
  if (!valid_snowflake(*text)) {
    check.error(v.pos, "notifications.channel_id",
                "expected a channel id (a snowflake such as \"1234567890123456789\"), got " + describe(v));
    return;
  }
  out.channel_id = std::move(*text);
}

// The webhook URL holds the webhook's token: errors describe it, never echo it.
void read_webhook_url(TreeChecker& check, const Node& v, NotificationsConfig& out) {
  if (v.kind != NodeKind::string) {
    check.type_error(v, "notifications.webhook_url", "a string");
    return;
  }
  const auto url = parse_url(v.text, UrlQuery::allowed);
  if (!url || (url->scheme != "http" && url->scheme != "https")) {
    check.error(v.pos, "notifications.webhook_url",
                "expected a webhook URL starting with http:// or https:// (such as "
                "https://discord.com/api/webhooks/ID/TOKEN); the value is not shown: it holds a secret");
    return;
  }
  if (webhook_id_of(url->path).empty()) {
    check.error(v.pos, "notifications.webhook_url",
                "expected the path to end in /webhooks/ID/TOKEN (Discord's \"Copy Webhook URL\"); the value is "
                "not shown: it holds a secret");
    return;
  }
  out.webhook_url = v.text;
}

void read_events(TreeChecker& check, const Node& v, NotificationsConfig& out) {
  const auto* items = check.array(v, "notifications.events");
  if (!items) return;
  if (items->empty()) {
    check.error(v.pos, "notifications.events",
                "lists no event; leave the key out to get all of them, or remove [notifications]");
    return;
  }
  std::uint32_t mask = 0;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Node& item = (*items)[i];
    const std::string key = fmt::format("notifications.events[{}]", i);
    auto name = check.string(item, key);
    if (!name) return;
    const auto kind = notice_kind_from(*name);
    if (!kind) {
      std::string known;
      for (auto n : notice_kind_names) known += (known.empty() ? "" : ", ") + std::string(n);
      const auto close = suggest(*name, notice_kind_names);
      check.error(item.pos, key,
                  fmt::format("unknown event {}{}; known: {}", quote(*name),
                              close ? fmt::format(" (did you mean \"{}\"?)", *close) : std::string(), known));
      return;
    }
    if (mask & notice_bit(*kind)) {
      check.error(item.pos, key, fmt::format("event {} is listed twice", quote(*name)));
      return;
    }
    mask |= notice_bit(*kind);
  }
  out.events = mask;
}

}  // namespace

std::string webhook_id_of(std::string_view path) {
  // .../webhooks/{id}/{token}, optionally followed by a query (?wait=true, ?thread_id=...).
  path = path.substr(0, path.find('?'));
  constexpr std::string_view marker = "/webhooks/";
  const auto at = path.rfind(marker);
  if (at == std::string_view::npos) return {};
  const std::string_view rest = path.substr(at + marker.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {};
  const std::string_view id = rest.substr(0, slash);
  const std::string_view token = rest.substr(slash + 1);
  if (!valid_snowflake(id) || token.empty() || token.find('/') != std::string_view::npos) return {};
  return std::string(id);
}

void read_notifications_section(TreeChecker& check, const Node& root, Config& config) {
  const Node* table = check.section(root, "notifications", "");
  if (!table) return;
  check.check_keys(*table, "notifications", notification_keys);
  NotificationsConfig out;
  out.events = all_notice_kinds;
  if (config.gateway) {
    out.api_url = config.gateway->api_url;
    out.ca_file = config.gateway->ca_file;
  } else {
    out.api_url = GatewayConfig{}.api_url;
  }

  const Node* channel = TreeChecker::get(*table, "channel_id");
  const Node* webhook = TreeChecker::get(*table, "webhook_url");
  if (channel) read_channel_id(check, *channel, out);
  if (webhook) read_webhook_url(check, *webhook, out);
  if (channel && webhook) {
    const Node& later = channel->pos.line > webhook->pos.line ||
                                (channel->pos.line == webhook->pos.line && channel->pos.column > webhook->pos.column)
                            ? *channel
                            : *webhook;
    check.error(later.pos, &later == channel ? "notifications.channel_id" : "notifications.webhook_url",
                "set channel_id or webhook_url, not both");
  } else if (!channel && !webhook) {
    check.missing(table->pos, "notifications",
                  "missing \"channel_id\" (post as the bot, needs [gateway]) or \"webhook_url\": where to send "
                  "notifications");
  } else if (channel && !config.gateway && !out.channel_id.empty()) {
    check.error(channel->pos, "notifications.channel_id",
                "posting to a channel needs the bot token: add a [gateway] section, or use webhook_url");
  }

  if (const Node* v = TreeChecker::get(*table, "api_url")) {
    if (auto text = check.string(*v, "notifications.api_url")) {
      const auto url = parse_url(*text);
      if (!url || (url->scheme != "http" && url->scheme != "https")) {
        check.error(v->pos, "notifications.api_url",
                    "expected a URL starting with http:// or https:// and a host, got " + describe(*v));
      } else if (webhook && !channel) {
        check.error(v->pos, "notifications.api_url", "only used with channel_id (a webhook URL is complete)");
      } else {
        while (text->size() > 1 && text->back() == '/') text->pop_back();  // routes are appended
        out.api_url = std::move(*text);
      }
    }
  }
  if (const Node* v = TreeChecker::get(*table, "ca_file")) {
    if (auto path = check.resolved_path(*v, "notifications.ca_file")) {
      struct stat st {};
      if (::stat(path->c_str(), &st) != 0) {
        check.error(v->pos, "notifications.ca_file",
                    fmt::format("cannot use CA file {}: {}", quote(path->string(), 4096), std::strerror(errno)));
      } else if (!S_ISREG(st.st_mode)) {
        check.error(v->pos, "notifications.ca_file",
                    fmt::format("CA file {} is not a regular file", quote(path->string(), 4096)));
      } else {
        out.ca_file = std::move(*path);
      }
    }
  }
  if (const Node* v = TreeChecker::get(*table, "events")) read_events(check, *v, out);
  if (const Node* v = TreeChecker::get(*table, "batch_window")) {
    if (auto d = check.duration(*v, "notifications.batch_window", false)) {
      if (*d > max_batch_window) {
        check.error(v->pos, "notifications.batch_window",
                    fmt::format("expected at most 1h (a notice should not wait longer), got {}ms", d->count()));
      } else {
        out.batch_window = *d;
      }
    }
  }
  if (const Node* v = TreeChecker::get(*table, "shard_down_after")) {
    if (auto d = check.duration(*v, "notifications.shard_down_after", false)) out.shard_down_after = *d;
  }
  if (const Node* v = TreeChecker::get(*table, "identify_remaining_below")) {
    if (auto n = check.integer(*v, "notifications.identify_remaining_below", 0, 1'000'000))
      out.identify_remaining_below = static_cast<std::uint32_t>(*n);
  }
  if (const Node* v = TreeChecker::get(*table, "queue_limit")) {
    if (auto n = check.integer(*v, "notifications.queue_limit", 1, 10'000)) out.queue_limit = static_cast<std::uint32_t>(*n);
  }
  config.notifications = std::move(out);
}

}  // namespace megane::daemon
