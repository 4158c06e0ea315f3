#include <catch2/catch.hpp>

#include "core/text.h"

using namespace sms;

namespace {
std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += p;
  return s;
}
}  // namespace

TEST_CASE("split keeps text intact, breaks after whitespace, never inside a character") {
  CHECK(text::split("", 10) == std::vector<std::string>{""});
  CHECK(text::split("short", 10) == std::vector<std::string>{"short"});
  CHECK(text::split("aaaa bbbb cccc", 10) == std::vector<std::string>{"aaaa bbbb ", "cccc"});
  std::string cyrillic;
  for (int i = 0; i < 400; ++i) cyrillic += "\xd0\x9f\xd1\x80\xd0\xb8 ";  // 1,600 characters
  auto parts = text::split(cyrillic, 1024);
  REQUIRE(parts.size() == 2);
  CHECK(text::length(parts[0]) == 1024);
  CHECK(join(parts) == cyrillic);
  std::string word(3000, 'x');
  auto cut = text::split(word, 1024);
  CHECK(cut.size() == 3);
  CHECK(join(cut) == word);
  std::string emoji;
  for (int i = 0; i < 11; ++i) emoji += "\xf0\x9f\x98\x80";  // 11 emoji, 4 bytes each
  for (const auto& p : text::split(emoji, 5)) {
    CHECK(text::valid_utf8(p));
    CHECK(text::length(p) <= 5);
  }
}

TEST_CASE("UTF-8 validation") {
  CHECK(text::valid_utf8("caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80"));
  CHECK_FALSE(text::valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(text::valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(text::valid_utf8("\xe2\x98"));          // truncated
  CHECK_FALSE(text::valid_utf8("\xff"));
}

TEST_CASE("SMS segments by encoding") {
  auto seg = [](const std::string& s) { return text::segments(s); };
  CHECK(seg("").count == 1);
  CHECK(seg(std::string(160, 'a')).count == 1);
  CHECK(seg(std::string(161, 'a')).count == 2);
  CHECK(seg(std::string(306, 'a')).count == 2);
  CHECK(seg(std::string(307, 'a')).count == 3);
  CHECK(seg(std::string(160, 'a')).encoding == text::Encoding::gsm7);
  std::string euros;
  for (int i = 0; i < 80; ++i) euros += "\xe2\x82\xac";  // '€' takes two septets
  CHECK(seg(euros).count == 1);
  CHECK(seg(euros + "a").count == 2);
  CHECK(seg("caf\xc3\xa9").encoding == text::Encoding::gsm7);  // é is in GSM-7
  CHECK(seg("\xe2\x98\x95" + std::string(69, 'a')).encoding == text::Encoding::ucs2);
  CHECK(seg("\xe2\x98\x95" + std::string(69, 'a')).count == 1);
  CHECK(seg("\xe2\x98\x95" + std::string(70, 'a')).count == 2);
  // A character never straddles two parts: 152 + '€' + 152 septets is 306 (two parts' worth),
  // but the escape pair cannot split across the first boundary, so it takes three.
  CHECK(seg(std::string(152, 'a') + "\xe2\x82\xac" + std::string(152, 'a')).count == 3);
  // Likewise a surrogate pair (an emoji) at the 67-unit boundary of UCS-2 parts.
  CHECK(seg(std::string(66, 'a') + "\xf0\x9f\x98\x80" + std::string(66, 'a')).count == 3);
  CHECK(text::split("abc", 0) == std::vector<std::string>{"abc"});  // 0: no limit (used to loop)
  CHECK(seg("\xf0\x9f\x98\x80" + std::string(68, 'a')).count == 1);  // an emoji is two UTF-16 units
  CHECK(seg("\xf0\x9f\x98\x80" + std::string(69, 'a')).count == 2);
}
