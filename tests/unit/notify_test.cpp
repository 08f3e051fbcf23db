// Notifications without sockets: the batcher and its message format, the rate-limit state, the
// translation of hub events and the health watches, and the [notifications] config section.
#include <algorithm>
#include <string>

#include "catch.hpp"
#include "config.hpp"
#include "config_notifications.hpp"
#include "notify/event_notices.hpp"
#include "notify/health_watch.hpp"
#include "notify/notice_batcher.hpp"
#include "notify/rate_limit.hpp"

using namespace megane::daemon;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point t0{};

Notice exited(int cluster) {
  return {NoticeKind::cluster_exited, "cluster " + std::to_string(cluster) + " exited: exit code 1"};
}

std::size_t count_lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1; }

}  // namespace

TEST_CASE("notify batcher: the first notice opens a window, later ones join it", "[notify]") {
  NoticeBatcher b(10s);
  CHECK(b.empty());
  CHECK(!b.due());
  b.add(exited(0), t0);
  REQUIRE(b.due());
  CHECK(*b.due() == t0 + 10s);
  b.add(exited(0), t0 + 4s);
  b.add(exited(1), t0 + 9s);
  CHECK(*b.due() == t0 + 10s);  // later notices do not push the deadline
  const NoticeBatch batch = b.take();
  CHECK(batch.size() == 3);
  CHECK(batch.span == 9s);
  CHECK(b.empty());
  b.add(exited(2), t0 + 11s);
  CHECK(*b.due() == t0 + 21s);
}

TEST_CASE("notify batcher: a storm is capped in memory and the rest counted", "[notify]") {
  NoticeBatcher b(1s, 100);
  for (int i = 0; i < 1000; ++i) b.add(exited(i), t0);
  const NoticeBatch batch = b.take();
  CHECK(batch.notices.size() == 100);
  CHECK(batch.omitted == 900);
  CHECK(batch.size() == 1000);
}

TEST_CASE("notify format: repeated lines are collapsed with a count, in order of first appearance", "[notify]") {
  NoticeBatch batch;
  for (int i = 0; i < 5; ++i) batch.notices.push_back(exited(0));
  batch.notices.push_back({NoticeKind::cluster_quarantined, "cluster 0 quarantined after repeated crashes"});
  batch.notices.push_back(exited(1));
  batch.span = 12s;
  const std::string text = format_batch(batch, "mybot", 0);
  CHECK(text ==
        "**mybot**: 7 events in 12 s\n"
        "cluster 0 exited: exit code 1 (x5)\n"
        "cluster 0 quarantined after repeated crashes\n"
        "cluster 1 exited: exit code 1");
  NoticeBatch one;
  one.notices.push_back(exited(3));
  CHECK(format_batch(one, "mybot", 0) == "**mybot**: 1 event\ncluster 3 exited: exit code 1");
}

TEST_CASE("notify format: never over 2000 characters, lines left out are counted", "[notify]") {
  NoticeBatch batch;
  for (int i = 0; i < 300; ++i) batch.notices.push_back(exited(i));
  batch.omitted = 50;
  const std::string text = format_batch(batch, "mybot", 0);
  CHECK(text.size() <= discord_content_limit);
  CHECK(text.rfind("**mybot**: 350 events", 0) == 0);
  // Every line that made it is whole, and the tail says how many did not.
  const std::size_t shown = count_lines(text) - 2;  // minus the header and the tail
  CHECK(shown > 10);
  CHECK(text.find("... and " + std::to_string(350 - shown) + " more lines") != std::string::npos);
  CHECK(text.find("cluster " + std::to_string(shown - 1) + " exited: exit code 1\n") != std::string::npos);

  // A tighter limit holds too, and dropped notices are said first.
  const std::string small = format_batch(batch, "mybot", 7, 300);
  CHECK(small.size() <= 300);
  CHECK(small.find("\n7 notifications dropped (the send queue was full)\n") != std::string::npos);
}

TEST_CASE("notify format: an overlong line is cut without splitting a UTF-8 character", "[notify]") {
  NoticeBatch batch;
  std::string reason;
  for (int i = 0; i < 500; ++i) reason += "\xC3\xA9";  // é, two bytes each
  batch.notices.push_back({NoticeKind::service_exited, "service s exited: " + reason});
  const std::string text = format_batch(batch, "b", 0);
  CHECK(text.size() < 450);
  CHECK(text.substr(text.size() - 3) == "...");
  // The byte before "..." ends a character: é is C3 A9.
  CHECK(static_cast<unsigned char>(text[text.size() - 4]) == 0xA9);
}

TEST_CASE("notify rate limit: a 429 waits retry_after from the body, else Retry-After", "[notify]") {
  RestRateLimit limit;
  RestReply r;
  r.status = 429;
  r.body = R"({"message":"You are being rate limited.","retry_after":0.25,"global":false,"code":0})";
  r.retry_after = "1";
  SendVerdict v = limit.on_reply(r, 1, 0, t0);
  CHECK(v.outcome == SendOutcome::retry);
  CHECK(v.wait == 250ms);
  CHECK(!limit.may_send(t0 + 249ms));
  CHECK(limit.may_send(t0 + 250ms));

  RestRateLimit header_only;
  r.body = "<html>cloudflare</html>";
  v = header_only.on_reply(r, 1, 0, t0);
  CHECK(v.wait == 1000ms);
  CHECK(header_only.next_send_at() == t0 + 1s);

  RestRateLimit integer_body;
  r.body = R"({"retry_after":3})";
  CHECK(integer_body.on_reply(r, 1, 0, t0).wait == 3s);

  RestRateLimit nothing;
  RestReply bare;
  bare.status = 429;
  bare.reset_after = "2.5";
  CHECK(nothing.on_reply(bare, 1, 0, t0).wait == 2500ms);

  // Absurd waits are capped; ten 429s in a row give the message up.
  RestRateLimit capped;
  r.body = R"({"retry_after":999999})";
  CHECK(capped.on_reply(r, 1, 0, t0).wait == RestRateLimit::max_wait);
  CHECK(capped.on_reply(r, 10, 9, t0).outcome == SendOutcome::give_up);
}

TEST_CASE("notify rate limit: remaining 0 on a success holds the next send until the bucket resets", "[notify]") {
  RestRateLimit limit;
  RestReply ok;
  ok.status = 200;
  ok.remaining = "4";
  ok.reset_after = "5.000";
  CHECK(limit.on_reply(ok, 1, 0, t0).outcome == SendOutcome::delivered);
  CHECK(limit.may_send(t0));
  ok.remaining = "0";
  ok.reset_after = "1.234";
  CHECK(limit.on_reply(ok, 1, 0, t0).outcome == SendOutcome::delivered);
  CHECK(!limit.may_send(t0 + 1233ms));
  CHECK(limit.may_send(t0 + 1234ms));
  RestReply webhook;  // 204 with no headers at all
  webhook.status = 204;
  CHECK(limit.on_reply(webhook, 1, 0, t0 + 2s).outcome == SendOutcome::delivered);
}

TEST_CASE("notify rate limit: failures back off, client errors give up", "[notify]") {
  RestRateLimit limit;
  RestReply none;  // status 0: no answer
  SendVerdict v = limit.on_reply(none, 1, 0, t0);
  CHECK(v.outcome == SendOutcome::retry);
  CHECK(v.wait == 1s);
  RestReply busy;
  busy.status = 502;
  CHECK(limit.on_reply(busy, 2, 0, t0).wait == 2s);
  CHECK(limit.on_reply(busy, 3, 0, t0).wait == 4s);
  CHECK(limit.on_reply(busy, 5, 0, t0).outcome == SendOutcome::give_up);
  // 429s in between do not count as failures.
  CHECK(limit.on_reply(busy, 5, 2, t0).outcome == SendOutcome::retry);

  for (int status : {400, 401, 403, 404}) {
    RestReply r;
    r.status = status;
    r.body = R"({"message":"Missing Access","code":50001})";
    v = limit.on_reply(r, 1, 0, t0);
    CHECK(v.outcome == SendOutcome::give_up);
    CHECK(v.reason == "HTTP " + std::to_string(status) + ": Missing Access (code 50001)");
  }
}

TEST_CASE("notify rate limit: seconds parse as Discord writes them, rounded up", "[notify]") {
  CHECK(parse_seconds("1") == 1000ms);
  CHECK(parse_seconds(" 0.250 ") == 250ms);
  CHECK(parse_seconds("0.0001") == 1ms);
  CHECK(parse_seconds("1.2345") == 1235ms);
  CHECK(!parse_seconds(""));
  CHECK(!parse_seconds("-1"));
  CHECK(!parse_seconds("soon"));
  CHECK(body_retry_after(R"({"retry_after":0.5})") == 500ms);
  CHECK(!body_retry_after(R"({"message":"x"})"));
  CHECK(!body_retry_after("not json"));
}

TEST_CASE("notify events: exits, quarantine, failure and restarts become lines", "[notify]") {
  EventNotices n;
  CHECK(!n.translate("cluster_spawned", R"({"type":"cluster_spawned","cluster":0,"state":"starting","generation":1})"));
  CHECK(!n.translate("cluster_ready", R"({"type":"cluster_ready","cluster":0,"state":"ready","generation":1})"));
  auto e = n.translate("cluster_exited", R"j({"type":"cluster_exited","cluster":0,"state":"backoff","generation":1,"pid":42,"reason":"killed by signal 9 (SIGKILL)","expected":false})j");
  REQUIRE(e);
  CHECK(e->kind == NoticeKind::cluster_exited);
  CHECK(e->text == "cluster 0 exited: killed by signal 9 (SIGKILL)");
  e = n.translate("cluster_ready", R"({"type":"cluster_ready","cluster":0,"state":"ready","generation":3})");
  REQUIRE(e);
  CHECK(e->kind == NoticeKind::cluster_restarted);
  CHECK(e->text == "cluster 0 restarted: ready again");
  CHECK(!n.translate("cluster_ready", R"({"type":"cluster_ready","cluster":0,"state":"ready","generation":3})"));

  // An operator's restart: no exit line, but the return is a restart.
  CHECK(!n.translate("cluster_exited", R"({"cluster":1,"pid":9,"reason":"exit code 0","expected":true})"));
  e = n.translate("cluster_ready", R"({"cluster":1})");
  REQUIRE(e);
  CHECK(e->kind == NoticeKind::cluster_restarted);

  e = n.translate("cluster_quarantined", R"({"cluster":2,"state":"quarantined"})");
  REQUIRE(e);
  CHECK(e->kind == NoticeKind::cluster_quarantined);
  e = n.translate("service_failed", R"({"service":"poller","state":"failed"})");
  REQUIRE(e);
  CHECK(e->kind == NoticeKind::service_failed);
  CHECK(e->text.rfind("service poller failed", 0) == 0);
  CHECK(!n.translate("stats_updated", R"({"type":"stats_updated"})"));
  CHECK(!n.translate("shard", R"({"type":"shard","cluster":0,"shard":1,"state":"ready"})"));
  CHECK(!n.translate("cluster_exited", "not json"));
}

TEST_CASE("notify events: rolling_restart_finished is taken by name, whatever it carries", "[notify]") {
  EventNotices n;
  auto e = n.translate("rolling_restart_finished", R"({"type":"rolling_restart_finished","clusters":4,"ok":true,"detail":{"x":1}})");
  REQUIRE(e);
  CHECK(e->kind == NoticeKind::rolling_restart_finished);
  CHECK(e->text == "rolling restart finished (clusters: 4, ok: true)");
  e = n.translate("rolling_restart_finished", "{}");
  REQUIRE(e);
  CHECK(e->text == "rolling restart finished");
  // A kind this build's proto does not name yet: its JSON "type" says what it is.
  e = n.translate("unknown", R"({"type":"rolling_restart_finished","clusters":2})");
  REQUIRE(e);
  CHECK(e->kind == NoticeKind::rolling_restart_finished);
  CHECK(!n.translate("unknown", R"({"type":"something_else"})"));
}

TEST_CASE("notify shard watch: down past the threshold once, then up again, start-up does not count", "[notify]") {
  ShardDownWatch w;
  // Never up yet: waiting for identify at start is not an outage.
  for (std::uint32_t s = 0; s < 4; ++s) w.observe(s, s / 2, false, t0);
  CHECK(w.collect(5s, t0 + 60s).empty());
  for (std::uint32_t s = 0; s < 4; ++s) w.observe(s, s / 2, true, t0 + 61s);
  CHECK(w.collect(5s, t0 + 61s).empty());
  // Cluster 1 (shards 2, 3) goes down; shard 0 blinks for less than the threshold.
  w.observe(0, 0, false, t0 + 70s);
  w.observe(2, 1, false, t0 + 70s);
  w.observe(3, 1, false, t0 + 70s);
  CHECK(w.collect(5s, t0 + 74s).empty());
  w.observe(0, 0, true, t0 + 74s);
  auto out = w.collect(5s, t0 + 76s);
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == NoticeKind::shard_down);
  CHECK(out[0].text == "cluster 1: shards 2-3 down for more than 5 s");
  CHECK(w.collect(5s, t0 + 90s).empty());  // said once
  w.observe(2, 1, true, t0 + 100s);
  w.observe(3, 1, true, t0 + 100s);
  out = w.collect(5s, t0 + 100s);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "cluster 1: shards 2-3 up again (down 30 s)");
  CHECK(shard_ranges({0, 1, 2, 5, 7, 8}) == "0-2, 5, 7-8");
}

TEST_CASE("notify budget watch: below the threshold once until it recovers", "[notify]") {
  BudgetWatch w;
  CHECK(!w.observe(100, 1000, 50));
  auto n = w.observe(49, 1000, 50);
  REQUIRE(n);
  CHECK(n->kind == NoticeKind::identify_budget_low);
  CHECK(n->text == "identify budget low: 49 of 1000 identifies left until the daily reset (notice below 50)");
  CHECK(!w.observe(40, 1000, 50));
  CHECK(!w.observe(1000, 1000, 50));  // the daily reset
  CHECK(w.observe(10, 1000, 50));
  BudgetWatch off;
  CHECK(!off.observe(0, 1000, 0));
}

TEST_CASE("notify config: defaults, a channel inherits [gateway]'s api_url and ca_file", "[notify][config]") {
  const std::string base = "[bot]\nexecutable = \"../bin/true-bot\"\n[sharding]\nshards = 2\n";
  // The executable is resolved against the file's directory: a name in the fixtures.
  LoadResult r = parse_config(base + "[notifications]\nwebhook_url = \"https://discord.com/api/webhooks/12/abc\"\n",
                   std::string(MEGANE_FIXTURES_DIR) + "/good_configs/n.toml");
  REQUIRE(std::holds_alternative<Config>(r));
  const NotificationsConfig& n = *std::get<Config>(r).notifications;
  CHECK(n.webhook_url == "https://discord.com/api/webhooks/12/abc");
  CHECK(n.channel_id.empty());
  CHECK(n.events == all_notice_kinds);
  CHECK(n.batch_window == 10s);
  CHECK(n.shard_down_after == 60s);
  CHECK(!n.identify_remaining_below);
  CHECK(n.queue_limit == 50);

  r = parse_config(base +
                       "[gateway]\napi_url = \"http://127.0.0.1:9/api/v10/\"\n"
                       "[notifications]\nchannel_id = \"123456789012345678\"\nevents = [\"cluster_exited\", "
                       "\"rolling_restart_finished\"]\nbatch_window = \"2s\"\nshard_down_after = 30\n"
                       "identify_remaining_below = 100\nqueue_limit = 3\n",
                   std::string(MEGANE_FIXTURES_DIR) + "/good_configs/n.toml");
  REQUIRE(std::holds_alternative<Config>(r));
  const NotificationsConfig& c = *std::get<Config>(r).notifications;
  CHECK(c.channel_id == "123456789012345678");
  CHECK(c.api_url == "http://127.0.0.1:9/api/v10");
  CHECK(c.events == (notice_bit(NoticeKind::cluster_exited) | notice_bit(NoticeKind::rolling_restart_finished)));
  CHECK(c.batch_window == 2s);
  CHECK(c.shard_down_after == 30s);
  CHECK(c.identify_remaining_below == 100u);
  CHECK(c.queue_limit == 3);
}

TEST_CASE("notify config: a webhook URL never appears in an error", "[notify][config]") {
  const std::string base = "[bot]\nexecutable = \"../bin/true-bot\"\n[sharding]\nshards = 2\n";
  for (const char* url : {"https://discord.com/api/hooks/1/supersecret", "ftp://x/webhooks/1/supersecret",
                          "https://discord.com/api/webhooks/abc/supersecret"}) {
    const LoadResult r = parse_config(base + "[notifications]\nwebhook_url = \"" + url + "\"\n",
                                      std::string(MEGANE_FIXTURES_DIR) + "/good_configs/n.toml");
    REQUIRE(std::holds_alternative<ConfigError>(r));
    const std::string text = std::get<ConfigError>(r).to_string();
    INFO(text);
    CHECK(text.find("supersecret") == std::string::npos);
    CHECK(text.find("notifications.webhook_url") != std::string::npos);
  }
  CHECK(webhook_id_of("/api/webhooks/123/tok") == "123");
  CHECK(webhook_id_of("/api/v10/webhooks/123/tok") == "123");
  CHECK(webhook_id_of("/api/webhooks/123") == "");
  CHECK(webhook_id_of("/api/webhooks/123/tok/extra") == "");
}

TEST_CASE("notify config: TOML and JSON give the same [notifications]", "[notify][config]") {
  const std::string dir = std::string(MEGANE_FIXTURES_DIR) + "/good_configs/";
  const LoadResult toml = load_config(dir + "full.toml");
  const LoadResult json = load_config(dir + "full.json");
  REQUIRE(std::holds_alternative<Config>(toml));
  REQUIRE(std::holds_alternative<Config>(json));
  const NotificationsConfig& a = *std::get<Config>(toml).notifications;
  const NotificationsConfig& b = *std::get<Config>(json).notifications;
  CHECK(a.webhook_url == "https://discord.com/api/webhooks/1234567890/fixture-token");
  CHECK(a.webhook_url == b.webhook_url);
  CHECK(a.events == (notice_bit(NoticeKind::cluster_quarantined) | notice_bit(NoticeKind::shard_down) |
                     notice_bit(NoticeKind::rolling_restart_finished)));
  CHECK(a.events == b.events);
  CHECK(a.batch_window == 30s);
  CHECK(a.batch_window == b.batch_window);
  CHECK(a.shard_down_after == 120s);
  CHECK(a.shard_down_after == b.shard_down_after);
  CHECK(a.identify_remaining_below == 25u);
  CHECK(a.identify_remaining_below == b.identify_remaining_below);
  CHECK(a.queue_limit == 5);
  CHECK(a.queue_limit == b.queue_limit);
}
