// Every close code Discord documents, with what a shard does after it (docs/sdk.md#close-codes).
#include "catch.hpp"
#include "src/gateway/close_codes.hpp"

using megane::gateway::AfterClose;
using megane::gateway::classify_close;
using megane::gateway::classify_invalid_session;

TEST_CASE("close codes: Discord's table", "[gateway]") {
  struct Row {
    std::uint16_t code;
    AfterClose action;
  };
  const Row table[] = {
      {0, AfterClose::resume},     {1000, AfterClose::resume},  {1001, AfterClose::resume},
      {1006, AfterClose::resume},  {4000, AfterClose::resume},  {4001, AfterClose::resume},
      {4002, AfterClose::resume},  {4003, AfterClose::identify}, {4004, AfterClose::fatal},
      {4005, AfterClose::resume},  {4007, AfterClose::identify}, {4008, AfterClose::resume},
      {4009, AfterClose::identify}, {4010, AfterClose::fatal},  {4011, AfterClose::fatal},
      {4012, AfterClose::fatal},   {4013, AfterClose::fatal},   {4014, AfterClose::fatal},
      {4900, AfterClose::resume},
  };
  for (const Row& row : table) {
    INFO("code " << row.code);
    CHECK(classify_close(row.code).action == row.action);
    CHECK(!classify_close(row.code).meaning.empty());
    CHECK(megane::gateway::is_fatal(row.code) == (row.action == AfterClose::fatal));
  }
  CHECK(classify_close(4014).meaning == "disallowed intents");
}

TEST_CASE("close codes: opcode 9", "[gateway]") {
  CHECK(classify_invalid_session(true).action == AfterClose::resume);
  CHECK(classify_invalid_session(false).action == AfterClose::identify);
}
