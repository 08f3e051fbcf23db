// The real meganed on every malformed config of the fixture manifest: exit 78 (EX_CONFIG), one
// line on stderr naming file:line:col, and nothing spawned.
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;

TEST_CASE("meganed refuses every malformed config with exit 78 and file:line:col", "[integration][config]") {
  const fs::path dir = fixtures_dir() / "bad_configs";
  std::ifstream manifest(dir / "expected.tsv");
  REQUIRE(manifest);
  int checked = 0;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string file, pos, needle;
    std::getline(fields, file, '\t');
    std::getline(fields, pos, '\t');
    std::getline(fields, needle);
    INFO(file);
    TempDir out;
    const fs::path config = dir / file;
    // Nothing may be spawned: the bot's cluster would write into this directory's socket.
    Process p({(bin_dir() / "meganed").string(), "--config", config.string()}, out.path() / "err.log",
              {"RUNTIME_DIRECTORY=" + out.path().string()});
    auto st = p.wait(10s);
    REQUIRE(st);
    REQUIRE(WIFEXITED(*st));
    CHECK(WEXITSTATUS(*st) == 78);
    const std::string err = p.log_text();
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    const std::string prefix = pos == "0:0" ? config.string() + ": " : config.string() + ":" + pos + ": ";
    CHECK(err.rfind(prefix, 0) == 0);
    CHECK(err.find(needle) != std::string::npos);
    CHECK(fs::is_empty(out.path()) == false);  // only err.log
    CHECK(std::distance(fs::directory_iterator(out.path()), fs::directory_iterator{}) == 1);
    ++checked;
  }
  CHECK(checked >= 20);
}

TEST_CASE("meganed --check accepts the shipped example configs", "[integration][config]") {
  for (const char* name : {"meganed.example.toml", "meganed.fakecord.toml"}) {
    INFO(name);
    TempDir out;
    Process p({(bin_dir() / "meganed").string(), "--check", "--config",
               (fs::path(MEGANE_SOURCE_DIR) / "config" / name).string()},
              out.path() / "out.log");
    auto st = p.wait(10s);
    REQUIRE(st);
    INFO(p.log_text());
    CHECK(WIFEXITED(*st));
    CHECK(WEXITSTATUS(*st) == 0);
  }
}
