// [notifications] end to end: the real meganed posting to fakecord's REST API, as a channel
// message with the bot token or as a webhook execution, batched and rate-limit aware.
#include <signal.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"
#include "ws_client.hpp"

using namespace megane::test;

namespace {

struct Webhook {
  std::string id, token, channel_id;
};

// A webhook of fakecord's first text channel; its channel is also the channel bots post to.
Webhook make_webhook(Fakecord& fc) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(fc.control("/webhooks", "{}"));
  return {std::string(std::string_view(doc["id"])), std::string(std::string_view(doc["token"])),
          std::string(std::string_view(doc["channel_id"]))};
}

struct Posted {
  std::string via, channel_id, content, headers;
  std::uint64_t received_us = 0;
};

std::vector<Posted> posted(Fakecord& fc) {
  simdjson::dom::parser parser;
  const std::string body = http_request(fc.control_port, "GET", "/messages").body;
  simdjson::dom::element doc = parser.parse(body);
  std::vector<Posted> out;
  for (simdjson::dom::element m : doc["messages"].get_array()) {
    Posted p;
    p.via = std::string(std::string_view(m["via"]));
    p.channel_id = std::string(std::string_view(m["channel_id"]));
    p.content = std::string(std::string_view(m["body"]["content"]));
    p.headers = simdjson::minify(m["headers"]);
    p.received_us = std::uint64_t(m["received_us"]);
    out.push_back(std::move(p));
  }
  return out;
}

struct Logged {
  std::string path;
  std::uint64_t status = 0, received_us = 0;
};

std::vector<Logged> rest_log(Fakecord& fc) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(http_request(fc.control_port, "GET", "/rest-log").body);
  std::vector<Logged> out;
  for (simdjson::dom::element l : doc["requests"].get_array()) {
    if (std::string_view(l["method"]) != "POST") continue;
    out.push_back({std::string(std::string_view(l["path"])), std::uint64_t(l["status"]), std::uint64_t(l["received_us"])});
  }
  return out;
}

// Two clusters of a bot that exits at once: 4 crashes each (about a second with these backoffs),
// then both are quarantined.
std::string crash_storm_config(const std::string& gateway, const std::string& notifications) {
  return R"(name = "notify-test"
[bot]
executable = "@FIXTURES@/bin/crash-bot"
[sharding]
shards = 2
clusters = 2
[supervision]
backoff_initial = "100ms"
backoff_max = "200ms"
min_spawn_gap = "10ms"
crash_window = "1m"
crash_limit = 4
quarantine_for = "0s"
[ipc]
socket = "@SOCKET@"
)" + gateway + "[notifications]\n" + notifications;
}

std::string gateway_section(const Fakecord& fc) {
  return "[gateway]\ntoken_file = \"" + fc.token_file.string() + "\"\ngateway_url = \"" + fc.gateway_url() +
         "\"\napi_url = \"" + fc.api_url() + "\"\n";
}

// Two clusters of the test bot (ready at once), notifications to a webhook.
std::string ready_bot_config(const std::string& name, const std::string& webhook_url, const std::string& notifications) {
  return R"(name = ")" + name + R"("
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 2
clusters = 2
[supervision]
backoff_initial = "100ms"
backoff_max = "400ms"
min_spawn_gap = "50ms"
[ipc]
socket = "@SOCKET@"
[notifications]
webhook_url = ")" + webhook_url + "\"\n" + notifications;
}

// kill -9 the cluster's process and wait until a new one is ready.
bool kill_and_wait_ready(Daemon& d, std::uint32_t cluster) {
  auto before = d.status();
  if (!before || before->clusters.size() <= cluster) return false;
  const pid_t victim = before->clusters[cluster].pid;
  if (::kill(victim, SIGKILL) != 0) return false;
  return wait_until([&] {
    auto st = d.status();
    return st && st->all_ready && st->clusters[cluster].pid != victim;
  }, 20s);
}

std::size_t count_429(Fakecord& fc) {
  std::size_t n = 0;
  for (const auto& l : rest_log(fc)) n += l.status == 429 ? 1 : 0;
  return n;
}

bool both_quarantined(Daemon& d) {
  auto st = d.status();
  return st && st->clusters.size() == 2 && st->clusters[0].state == "quarantined" &&
         st->clusters[1].state == "quarantined";
}

}  // namespace

TEST_CASE("notifications: a crash storm is one batched channel message, posted with the bot token",
          "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);  // only for a channel id of the population
  TempDir dir;
  // The window outlasts the storm (8 exits and 2 quarantines in about a second) by far.
  Daemon d(dir, crash_storm_config(gateway_section(fc), "channel_id = \"" + hook.channel_id +
                                                            "\"\nbatch_window = \"6s\"\n"));
  REQUIRE(wait_until([&] { return both_quarantined(d); }, 30s));
  REQUIRE(wait_until([&] { return !posted(fc).empty(); }, 20s));
  std::this_thread::sleep_for(1500ms);  // nothing else is due: a second message would be a bug
  const auto messages = posted(fc);
  INFO(d.log());
  REQUIRE(messages.size() == 1);
  const Posted& m = messages[0];
  INFO(m.content);
  CHECK(m.via == "channel");
  CHECK(m.channel_id == hook.channel_id);
  CHECK(m.content.rfind("**notify-test**: 10 events", 0) == 0);
  CHECK(m.content.find("cluster 0 exited: exit code 1 (x4)") != std::string::npos);
  CHECK(m.content.find("cluster 1 exited: exit code 1 (x4)") != std::string::npos);
  CHECK(m.content.find("cluster 0 quarantined after repeated crashes") != std::string::npos);
  CHECK(m.content.find("cluster 1 quarantined after repeated crashes") != std::string::npos);
  CHECK(m.content.size() <= 2000);
  // The token went only in Authorization (which fakecord records without it), nowhere else.
  CHECK(m.headers.find(R"("Authorization":"Bot <the bot token>")") != std::string::npos);
  CHECK(m.headers.find(fakecord_token) == std::string::npos);
  CHECK(m.headers.find("DiscordBot (https://github.com/megane") != std::string::npos);
  CHECK(d.log().find(fakecord_token) == std::string::npos);
  CHECK(d.log().find("notifications: sent 10 events to channel " + hook.channel_id) != std::string::npos);
}

TEST_CASE("notifications: a 429 is honoured: the retry waits retry_after and the message arrives once",
          "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);
  REQUIRE(fc.control("/rate-limit", R"({"count":1,"retry_after":1.5})") == R"({"forced_429":1})");
  TempDir dir;
  Daemon d(dir, crash_storm_config(gateway_section(fc), "channel_id = \"" + hook.channel_id +
                                                            "\"\nbatch_window = \"200ms\"\n"
                                                            "events = [\"cluster_quarantined\"]\n"));
  REQUIRE(wait_until([&] { return both_quarantined(d); }, 30s));
  REQUIRE(wait_until([&] { return !posted(fc).empty(); }, 20s));
  std::this_thread::sleep_for(500ms);
  const auto log = rest_log(fc);
  std::vector<Logged> posts;
  for (const auto& l : log)
    if (l.path.find("/messages") != std::string::npos) posts.push_back(l);
  INFO(d.log());
  REQUIRE(posts.size() >= 2);
  CHECK(posts[0].status == 429);
  CHECK(posts[1].status == 200);
  // Not earlier than retry_after (1.5 s) after the 429 was received: the wait starts when the
  // answer arrives, which is after fakecord logged the request.
  CHECK(posts[1].received_us - posts[0].received_us >= 1'500'000);
  // Both quarantines are in one message or two, each delivered exactly once.
  std::string all;
  std::size_t delivered = 0;
  for (const auto& p : posted(fc)) {
    all += p.content + "\n";
    ++delivered;
  }
  CHECK(delivered == posts.size() - 1);  // every accepted POST is a message; the 429 is not
  CHECK(all.find("cluster 0 quarantined") != std::string::npos);
  CHECK(all.find("cluster 1 quarantined") != std::string::npos);
  CHECK(all.find("exited") == std::string::npos);  // not among the chosen events
  const auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(count("cluster 0 quarantined") == 1);
  CHECK(count("cluster 1 quarantined") == 1);
  CHECK(d.log().find("rate limited (HTTP 429, retry_after 1500 ms)") != std::string::npos);
  CHECK(d.log().find(fakecord_token) == std::string::npos);
}

TEST_CASE("notifications: a webhook target needs no token and its URL stays out of the log",
          "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);
  TempDir dir;
  // With a query, as Discord allows (?wait=true, ?thread_id=...): it reaches the request line.
  const std::string url = fc.api_url() + "/webhooks/" + hook.id + "/" + hook.token + "?wait=true";
  Daemon d(dir, crash_storm_config("", "webhook_url = \"" + url + "\"\nbatch_window = \"5s\"\n"));
  REQUIRE(wait_until([&] { return both_quarantined(d); }, 30s));
  REQUIRE(wait_until([&] { return !posted(fc).empty(); }, 20s));
  const auto messages = posted(fc);
  INFO(d.log());
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].via == "webhook");
  CHECK(messages[0].channel_id == hook.channel_id);
  CHECK(messages[0].content.find("cluster 1 quarantined after repeated crashes") != std::string::npos);
  CHECK(messages[0].headers.find("Authorization") == std::string::npos);
  CHECK(d.log().find(hook.token) == std::string::npos);
  CHECK(d.log().find("notifications: sent 10 events to webhook " + hook.id) != std::string::npos);
  const auto requests = rest_log(fc);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/api/v10/webhooks/" + hook.id + "/<token>?wait=true");
  CHECK(requests[0].status == 200);  // wait=true: the created message comes back
}

TEST_CASE("notifications: an unreachable target is logged and the daemon carries on", "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);
  TempDir dir;
  // A webhook fakecord does not know: 404, given up at once (retrying cannot help).
  const std::string url = fc.api_url() + "/webhooks/1/not-a-webhook";
  Daemon d(dir, crash_storm_config("", "webhook_url = \"" + url + "\"\nbatch_window = \"200ms\"\n"));
  REQUIRE(wait_until([&] { return both_quarantined(d); }, 30s));
  REQUIRE(wait_until([&] { return d.log().find("Unknown Webhook (code 10015)") != std::string::npos; }, 20s));
  CHECK(posted(fc).empty());
  CHECK(d.log().find("not-a-webhook") == std::string::npos);
  CHECK(d.process().running());
  CHECK(d.status());  // still answering
}

TEST_CASE("notifications: kill -9 a ready cluster: its exit and its return are one message, the others are quiet",
          "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);
  TempDir dir;
  Daemon d(dir, R"(name = "notify-restart"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 2
clusters = 2
[supervision]
backoff_initial = "100ms"
backoff_max = "400ms"
min_spawn_gap = "50ms"
[ipc]
socket = "@SOCKET@"
[notifications]
webhook_url = ")" + fc.api_url() + "/webhooks/" + hook.id + "/" + hook.token + R"("
batch_window = "3s"
)");
  auto before = d.wait_all_ready();
  REQUIRE(before);
  std::this_thread::sleep_for(500ms);
  CHECK(posted(fc).empty());  // starting up is no news
  REQUIRE(::kill(before->clusters[1].pid, SIGKILL) == 0);
  REQUIRE(wait_until([&] { return !posted(fc).empty(); }, 20s));
  const auto messages = posted(fc);
  INFO(d.log());
  REQUIRE(messages.size() == 1);
  INFO(messages[0].content);
  const std::string& text = messages[0].content;
  CHECK(text.rfind("**notify-restart**: 2 events", 0) == 0);
  const std::string lines = "\ncluster 1 exited: signal 9 (Killed)\ncluster 1 restarted: ready again";
  CHECK(text.size() > lines.size());
  CHECK(text.substr(text.size() - std::min(text.size(), lines.size())) == lines);
}

TEST_CASE("notifications: X-RateLimit-Remaining 0 holds the next message until the bucket resets",
          "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);
  REQUIRE(fc.control("/bucket", R"({"count":1,"reset_after":3})") == R"({"exhausted":1})");
  TempDir dir;
  Daemon d(dir, ready_bot_config("notify-bucket", fc.api_url() + "/webhooks/" + hook.id + "/" + hook.token,
                                 "batch_window = \"1s\"\n"));
  REQUIRE(d.wait_all_ready());
  REQUIRE(kill_and_wait_ready(d, 0));
  REQUIRE(wait_until([&] { return posted(fc).size() == 1; }, 20s));
  REQUIRE(kill_and_wait_ready(d, 1));  // a second message, due well before the reset
  REQUIRE(wait_until([&] { return posted(fc).size() == 2; }, 20s));
  const auto messages = posted(fc);
  INFO(d.log());
  // The second post came no earlier than 3 s after the first (whose answer said remaining 0).
  CHECK(messages[1].received_us - messages[0].received_us >= 3'000'000);
  CHECK(messages[0].content.find("cluster 0 exited") != std::string::npos);
}

TEST_CASE("notifications: a full queue drops the oldest waiting message and says so in the next",
          "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);
  // The first message is rate limited for a long while; later ones pile up behind it.
  REQUIRE(fc.control("/rate-limit", R"({"count":1,"retry_after":6})") == R"({"forced_429":1})");
  TempDir dir;
  Daemon d(dir, ready_bot_config("notify-queue", fc.api_url() + "/webhooks/" + hook.id + "/" + hook.token,
                                 "batch_window = \"200ms\"\nqueue_limit = 1\n"));
  REQUIRE(d.wait_all_ready());
  // Three separate batches behind a 429 that holds sending for 6 s, with room for one message:
  // each new batch pushes the oldest waiting one out (the rate-limited first one included).
  for (std::uint32_t round = 0; round < 3; ++round) {
    REQUIRE(kill_and_wait_ready(d, round % 2));
    std::this_thread::sleep_for(500ms);  // past the batch window: each round is its own batch
  }
  REQUIRE(wait_until([&] { return !posted(fc).empty(); }, 30s));
  std::this_thread::sleep_for(500ms);
  const auto messages = posted(fc);
  INFO(d.log());
  REQUIRE(messages.size() == 1);  // only the newest survived
  INFO(messages[0].content);
  // How many events were lost depends on how the restarts fell into windows; that some were,
  // and that the survivor says so first, does not.
  CHECK(messages[0].content.find(" dropped (the send queue was full)\n") != std::string::npos);
  CHECK(messages[0].content.find("cluster 0 restarted") != std::string::npos);  // the third round's
  CHECK(d.log().find("queue full") != std::string::npos);
  CHECK(count_429(fc) == 1);
}

TEST_CASE("notifications: shards down past shard_down_after are reported, and again when they are back",
          "[integration][notify]") {
  Fakecord fc;
  const Webhook hook = make_webhook(fc);
  TempDir dir;
  // Without [gateway] a shard is up while its cluster is ready; a 3 s backoff keeps it down.
  Daemon d(dir, R"(name = "notify-shards"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 2
clusters = 1
[supervision]
backoff_initial = "3s"
backoff_max = "3s"
[ipc]
socket = "@SOCKET@"
[notifications]
webhook_url = ")" + fc.api_url() + "/webhooks/" + hook.id + "/" + hook.token + R"("
events = ["shard_down"]
shard_down_after = "1s"
batch_window = "300ms"
)");
  auto before = d.wait_all_ready();
  REQUIRE(before);
  std::this_thread::sleep_for(500ms);  // the shards have been seen up
  REQUIRE(::kill(before->clusters[0].pid, SIGKILL) == 0);
  const auto all_text = [&] {
    std::string all;
    for (const auto& p : posted(fc)) all += p.content + "\n";
    return all;
  };
  REQUIRE(wait_until([&] { return all_text().find("up again") != std::string::npos; }, 30s));
  const std::string all = all_text();
  INFO(all);
  INFO(d.log());
  CHECK(all.find("cluster 0: shards 0-1 down for more than 1 s") != std::string::npos);
  CHECK(all.find("cluster 0: shards 0-1 up again (down ") != std::string::npos);
  CHECK(all.find("exited") == std::string::npos);  // not chosen
}

TEST_CASE("notifications: a low identify budget is reported once", "[integration][notify]") {
  Fakecord fc({"--session-remaining", "60"});
  const Webhook hook = make_webhook(fc);
  TempDir dir;
  // The default threshold is twice the reserve: max(2 shards, 5 % of 1000) = 50, so 100.
  Daemon d(dir, R"(name = "notify-budget"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 2
clusters = 1
[ipc]
socket = "@SOCKET@"
)" + gateway_section(fc) + R"([notifications]
webhook_url = ")" + fc.api_url() + "/webhooks/" + hook.id + "/" + hook.token + R"("
batch_window = "300ms"
)");
  REQUIRE(d.wait_all_ready());
  REQUIRE(wait_until([&] { return !posted(fc).empty(); }, 20s));
  std::this_thread::sleep_for(1s);
  const auto messages = posted(fc);
  INFO(d.log());
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].content.find("identify budget low: 60 of 1000 identifies left until the daily reset (notice below 100)") !=
        std::string::npos);
}
