#include "plan.hpp"

#include <vector>

#include "catch.hpp"
#include "cpu_set.hpp"

using namespace megane::daemon;

namespace {

// Every shard in exactly one cluster, ranges contiguous and ascending.
void check_cover(const Plan& plan) {
  std::uint32_t next = 0;
  for (const auto& c : plan.clusters) {
    CHECK(c.first_shard == next);
    CHECK(c.shard_count >= 1);
    next += c.shard_count;
  }
  CHECK(next == plan.total_shards);
}

}  // namespace

TEST_CASE("plan: remainder goes to the first clusters", "[plan]") {
  const Plan p = make_plan(10, 4, {0, 1, 2, 3});
  REQUIRE(p.clusters.size() == 4);
  CHECK(p.clusters[0].shard_count == 3);
  CHECK(p.clusters[1].shard_count == 3);
  CHECK(p.clusters[2].shard_count == 2);
  CHECK(p.clusters[3].shard_count == 2);
  check_cover(p);
}

TEST_CASE("plan: auto = one cluster per CPU, capped at the shard count", "[plan]") {
  CHECK(make_plan(16, std::nullopt, {0, 1, 2, 3}).clusters.size() == 4);
  const Plan small = make_plan(2, std::nullopt, {0, 1, 2, 3, 4, 5, 6, 7});
  REQUIRE(small.clusters.size() == 2);
  check_cover(small);
}

TEST_CASE("plan: more clusters than CPUs pins round-robin, one CPU each", "[plan]") {
  const Plan p = make_plan(8, 4, {2, 5});
  REQUIRE(p.clusters.size() == 4);
  CHECK(p.clusters[0].cores == std::vector<int>{2});
  CHECK(p.clusters[1].cores == std::vector<int>{5});
  CHECK(p.clusters[2].cores == std::vector<int>{2});
  CHECK(p.clusters[3].cores == std::vector<int>{5});
  check_cover(p);
}

TEST_CASE("plan: fewer clusters than CPUs deals every CPU out", "[plan]") {
  const Plan p = make_plan(8, 2, {0, 1, 2, 3, 4});
  REQUIRE(p.clusters.size() == 2);
  CHECK(p.clusters[0].cores == std::vector<int>{0, 2, 4});
  CHECK(p.clusters[1].cores == std::vector<int>{1, 3});
}

TEST_CASE("plan: a large bot covers every shard exactly once", "[plan]") {
  for (std::uint32_t shards : {1u, 7u, 16u, 1000u, 2503u}) {
    for (std::uint32_t clusters : {1u, 3u, 16u, 64u}) {
      const Plan p = make_plan(shards, clusters, {0, 1});
      CHECK(p.clusters.size() == std::min(shards, clusters));
      check_cover(p);
    }
  }
}

TEST_CASE("cpu lists: format and parse the /proc notation", "[cpu_set]") {
  CHECK(format_cpu_list({0, 1, 2, 3, 6}) == "0-3,6");
  CHECK(format_cpu_list({5}) == "5");
  CHECK(format_cpu_list({}).empty());
  CHECK(parse_cpu_list("0-3,6\n") == std::vector<int>{0, 1, 2, 3, 6});
  CHECK(parse_cpu_list("1") == std::vector<int>{1});
  CHECK(parse_cpu_list("3-1").empty());
  CHECK(parse_cpu_list("a").empty());
  CHECK_FALSE(allowed_cpus().empty());
}
