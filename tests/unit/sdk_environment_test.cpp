// megane::parse_environment: what a child learns from meganed, and the errors for bad input.
#include <megane/sdk/environment.hpp>

#include <variant>

#include "catch.hpp"

namespace {

using megane::Environment;
using megane::EnvironmentError;
using megane::EnvironmentVariables;

EnvironmentVariables cluster_vars() {
  return {{"MEGANE_SOCKET", "/run/megane/bot.sock"},
          {"MEGANE_ROLE", "cluster"},
          {"MEGANE_CLUSTER_ID", "2"},
          {"MEGANE_GENERATION", "18446744073709551615"},
          {"MEGANE_BOT", "example-bot"}};
}

Environment ok(const EnvironmentVariables& vars) {
  auto r = megane::parse_environment(vars);
  if (auto* e = std::get_if<EnvironmentError>(&r)) FAIL("unexpected error: " << e->message);
  return std::get<Environment>(r);
}

EnvironmentError error(const EnvironmentVariables& vars) {
  auto r = megane::parse_environment(vars);
  REQUIRE(std::holds_alternative<EnvironmentError>(r));
  return std::get<EnvironmentError>(r);
}

}  // namespace

TEST_CASE("a cluster's environment parses into its identity", "[sdk][environment]") {
  const Environment env = ok(cluster_vars());
  CHECK(env.socket == "/run/megane/bot.sock");
  CHECK(env.role == megane::proto::Role::cluster);
  CHECK(env.cluster_id == 2);
  CHECK(env.generation == 18446744073709551615ull);
  CHECK(env.bot == "example-bot");
  CHECK(env.service.empty());
  CHECK(env.stop_timeout == std::chrono::milliseconds(10'000));
}

TEST_CASE("optional variables: bot name and stop timeout", "[sdk][environment]") {
  auto vars = cluster_vars();
  vars.erase("MEGANE_BOT");
  vars["MEGANE_STOP_TIMEOUT_MS"] = "2500";
  const Environment env = ok(vars);
  CHECK(env.bot.empty());
  CHECK(env.stop_timeout == std::chrono::milliseconds(2'500));
  CHECK(env.cache_snapshot.empty());
  CHECK(env.cache_snapshot_max_bytes == std::uint64_t{1} << 30);
  vars["MEGANE_CACHE_SNAPSHOT"] = "/var/lib/megane/bot.cache/cluster-2.jsonl";
  vars["MEGANE_CACHE_SNAPSHOT_MAX_BYTES"] = "1048576";
  const Environment snap = ok(vars);
  CHECK(snap.cache_snapshot == "/var/lib/megane/bot.cache/cluster-2.jsonl");
  CHECK(snap.cache_snapshot_max_bytes == 1048576);
}

TEST_CASE("a service's environment needs MEGANE_SERVICE, not a cluster id", "[sdk][environment]") {
  EnvironmentVariables vars{{"MEGANE_SOCKET", "/s"}, {"MEGANE_ROLE", "service"},
                            {"MEGANE_GENERATION", "1"}, {"MEGANE_SERVICE", "poller"}};
  const Environment env = ok(vars);
  CHECK(env.role == megane::proto::Role::service);
  CHECK(env.service == "poller");

  vars.erase("MEGANE_SERVICE");
  CHECK(error(vars).message.find("MEGANE_SERVICE is not set") != std::string::npos);
}

TEST_CASE("no identity at all means: not started by meganed", "[sdk][environment]") {
  const EnvironmentError e = error({});
  CHECK(e.not_under_meganed);
  // Empty values count as unset (an `env -i`-style wrapper may leave them empty).
  CHECK(error({{"MEGANE_SOCKET", ""}, {"MEGANE_ROLE", ""}}).not_under_meganed);
}

TEST_CASE("each missing or malformed variable is named in the error", "[sdk][environment]") {
  struct Case {
    const char* name;
    const char* value;  // nullptr = remove the variable
    const char* expected;
  };
  const Case cases[] = {
      {"MEGANE_SOCKET", nullptr, "MEGANE_SOCKET is not set"},
      {"MEGANE_ROLE", nullptr, "MEGANE_ROLE is not set"},
      {"MEGANE_ROLE", "worker", "MEGANE_ROLE: 'worker' is not 'cluster' or 'service'"},
      {"MEGANE_CLUSTER_ID", nullptr, "MEGANE_CLUSTER_ID is not set"},
      {"MEGANE_CLUSTER_ID", "two", "MEGANE_CLUSTER_ID: 'two' is not a decimal number"},
      {"MEGANE_CLUSTER_ID", "-1", "MEGANE_CLUSTER_ID: '-1' is not a decimal number"},
      {"MEGANE_CLUSTER_ID", "+1", "MEGANE_CLUSTER_ID: '+1' is not a decimal number"},
      {"MEGANE_CLUSTER_ID", " 1", "MEGANE_CLUSTER_ID: ' 1' is not a decimal number"},
      {"MEGANE_CLUSTER_ID", "1x", "MEGANE_CLUSTER_ID: '1x' is not a decimal number"},
      {"MEGANE_CLUSTER_ID", "4294967296", "from 0 to 4294967295"},
      {"MEGANE_GENERATION", nullptr, "MEGANE_GENERATION is not set"},
      {"MEGANE_GENERATION", "18446744073709551616", "from 0 to 18446744073709551615"},
      {"MEGANE_STOP_TIMEOUT_MS", "10s", "MEGANE_STOP_TIMEOUT_MS: '10s' is not a decimal number"},
      {"MEGANE_CACHE_SNAPSHOT", "cluster-2.jsonl", "MEGANE_CACHE_SNAPSHOT: 'cluster-2.jsonl' is not an absolute path"},
      {"MEGANE_CACHE_SNAPSHOT_MAX_BYTES", "1G", "MEGANE_CACHE_SNAPSHOT_MAX_BYTES: '1G' is not a decimal number"},
  };
  for (const Case& c : cases) {
    auto vars = cluster_vars();
    if (c.value == nullptr) {
      vars.erase(c.name);
    } else {
      vars[c.name] = c.value;
    }
    INFO(c.name << "=" << (c.value ? c.value : "(unset)"));
    const EnvironmentError e = error(vars);
    CHECK_FALSE(e.not_under_meganed);
    CHECK(e.message.find(c.expected) != std::string::npos);
  }
}

TEST_CASE("run<W> refuses an environment of the other role, naming both", "[sdk][environment]") {
  const Environment cluster = ok(cluster_vars());
  CHECK_FALSE(megane::role_mismatch(cluster, megane::proto::Role::cluster));
  const auto as_service = megane::role_mismatch(cluster, megane::proto::Role::service);
  REQUIRE(as_service);
  CHECK(as_service->find("started as cluster 2") != std::string::npos);
  CHECK(as_service->find("service worker") != std::string::npos);

  const Environment service = ok({{"MEGANE_SOCKET", "/s"}, {"MEGANE_ROLE", "service"},
                                  {"MEGANE_SERVICE", "poller"}, {"MEGANE_GENERATION", "1"}});
  CHECK_FALSE(megane::role_mismatch(service, megane::proto::Role::service));
  const auto as_cluster = megane::role_mismatch(service, megane::proto::Role::cluster);
  REQUIRE(as_cluster);
  CHECK(as_cluster->find("started as service 'poller'") != std::string::npos);
  CHECK(as_cluster->find("megane::ClusterWorker") != std::string::npos);
}
