#include <catch2/catch.hpp>

#include "infinity/signature.h"

using namespace sms;
using infinity::SignatureCheck;

TEST_CASE("signatures are sha256=base64(HMAC-SHA256) over the exact bytes") {
  // Expected values computed with: printf '%s' BODY | openssl dgst -sha256 -hmac KEY -binary | base64
  CHECK(infinity::compute_signature("s\xc3\xa9""cret", "{\"text\":\"h\xc3\xa9llo \xe2\x98\x95\",\"n\":1}") ==
        "sha256=y75KHVKfJmZH/ZPdXa/pQ0BXwl3C184RwdZUgGW3ZhI=");
  CHECK(infinity::compute_signature("k", "{\n  \"a\" : \"b c\"\t}\n") == "sha256=MskrJ5vvoZCvzjiibJqATa3hjwWZBpLmf5VM1xOgSls=");
}

TEST_CASE("check_signature: raw body, compact fallback, header forms, rotation") {
  const std::string pretty = "{\n  \"eventType\": \"messages\",\n  \"body\": {\"text\": \"a/b \xc3\xa9 \\n\"},\n  \"n\": 1.0\n}";
  auto compact = infinity::compact_json(pretty);
  CHECK(compact == "{\"eventType\":\"messages\",\"body\":{\"text\":\"a/b \xc3\xa9 \\n\"},\"n\":1}");
  auto raw_sig = infinity::compute_signature("s", pretty);
  auto compact_sig = infinity::compute_signature("s", compact);
  CHECK(infinity::check_signature({"s"}, raw_sig, pretty) == SignatureCheck::ok);
  CHECK(infinity::check_signature({"s"}, compact_sig, pretty) == SignatureCheck::ok);
  CHECK(infinity::check_signature({"s"}, raw_sig, pretty + " ") == SignatureCheck::mismatch);
  CHECK(infinity::check_signature({"other"}, raw_sig, pretty) == SignatureCheck::mismatch);
  CHECK(infinity::check_signature({"old", "s"}, raw_sig, pretty) == SignatureCheck::ok);
  CHECK(infinity::check_signature({"s"}, "", pretty) == SignatureCheck::missing);
  CHECK(infinity::check_signature({"s"}, "sha256=", pretty) == SignatureCheck::malformed);
  CHECK(infinity::check_signature({"s"}, "sha1=abc", pretty) == SignatureCheck::malformed);
  CHECK(infinity::compact_json("{not json") == "");
  CHECK(infinity::compact_json(R"({"c":"\u0001\"\\"})") == "{\"c\":\"\\u0001\\\"\\\\\"}");
}

TEST_CASE("a wrongly signed, deeply nested body is refused without recursing (regression)") {
  // compact_json used to serialise any parsed body recursively; 200,000 levels overflowed the stack.
  std::string deep = std::string(200000, '[') + std::string(200000, ']');
  CHECK(infinity::compact_json(deep).empty());
  CHECK(infinity::check_signature({"s"}, "sha256=AAAA", deep) == SignatureCheck::mismatch);
  CHECK(infinity::check_signature({"s"}, infinity::compute_signature("s", deep), deep) == SignatureCheck::ok);
  std::string at_limit = std::string(64, '[') + std::string(64, ']');
  CHECK(infinity::compact_json(at_limit) == at_limit);
}
