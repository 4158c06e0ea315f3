#include <catch2/catch.hpp>

#include "core/json_depth.h"

using sms::json_nested_deeper_than;

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
