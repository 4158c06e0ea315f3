#include <catch2/catch.hpp>

#include "core/json_input.h"

using sms::json_nested_deeper_than;
using sms::parse_untrusted_json;

TEST_CASE("json_nested_deeper_than counts real nesting only") {
  CHECK_FALSE(json_nested_deeper_than("{}", 1));
  CHECK(json_nested_deeper_than("{\"a\":[]}", 1));
  CHECK_FALSE(json_nested_deeper_than("[[1],[2],[3]]", 2));
  CHECK(json_nested_deeper_than("[[[1]]]", 2));
  // Brackets inside strings, including after escaped quotes, are text.
  CHECK_FALSE(json_nested_deeper_than("{\"a\":\"[[[[\\\"[[[[\"}", 1));
  // Stray closers do not buy depth for later openers.
  CHECK(json_nested_deeper_than("]]]]][[[", 2));
  CHECK(json_nested_deeper_than(std::string(65, '{')));
  CHECK_FALSE(json_nested_deeper_than(std::string(64, '{')));
}

TEST_CASE("parse_untrusted_json refuses deep, invalid, non-UTF-8 and ambiguous documents") {
  CHECK(parse_untrusted_json("{\"a\":{\"b\":[1,{\"c\":null}]}}"));
  CHECK(parse_untrusted_json("[{\"a\":1},{\"a\":2}]"));  // the same key in sibling objects is fine
  CHECK(parse_untrusted_json("{\"a\":{\"a\":1}}"));     // and in nested ones
  for (const char* bad : {"", "{", "{\"a\":}", "{a:1}", "[1,]", "{\"a\":\"\xff\"}", "nul"}) {
    INFO(bad);
    auto r = parse_untrusted_json(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == sms::ErrorKind::invalid_input);
  }
  auto dup = parse_untrusted_json("{\"eventType\":\"messages\",\"x\":{},\"eventType\":\"health_check\"}");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("duplicate key \"eventType\"") != std::string::npos);
  auto deep = parse_untrusted_json(std::string(100000, '[') + std::string(100000, ']'));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().message.find("nested deeper") != std::string::npos);
}
