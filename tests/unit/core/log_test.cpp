#include <catch2/catch.hpp>

#include "core/log.h"

using namespace sms;

TEST_CASE("end users' numbers and text are redacted by default") {
  CHECK(log::phone("+14155550199") == "***0199");
  CHECK(log::phone("whatsapp:+14155550199") == "***0199");
  CHECK(log::phone("123") == "123");
  CHECK(log::text("h\xc3\xa9llo") == "[5 chars]");
  CHECK(log::text("") == "[0 chars]");
  // In a provider's error text, the numbers given show as phone() shows them, wherever they are.
  CHECK(log::numbers_hidden("The 'To' number +14155550199 is not valid; +14155550199 again", {"+14155550199", "+14155550100"}) ==
        "The 'To' number ***0199 is not valid; ***0199 again");
  CHECK(log::numbers_hidden("no number here", {"+14155550199"}) == "no number here");
  CHECK(log::numbers_hidden("short 123", {"123"}) == "short 123");
}

TEST_CASE("log fields nest per thread and leave with their scope") {
  CHECK(log::current().empty());
  {
    log::Scope outer({{"requestId", "r1"}, {"skipped", ""}});
    {
      log::Scope inner(log::Fields{{"messageSid", "SM1"}});
      REQUIRE(log::current().size() == 2);
      CHECK(log::current()[0] == std::pair<std::string, std::string>{"requestId", "r1"});
      CHECK(log::current()[1] == std::pair<std::string, std::string>{"messageSid", "SM1"});
    }
    CHECK(log::current().size() == 1);
  }
  CHECK(log::current().empty());
}
