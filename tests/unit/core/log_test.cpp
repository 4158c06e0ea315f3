#include <catch2/catch.hpp>

#include "core/log.h"

using namespace sms;

TEST_CASE("end users' numbers and text are redacted by default") {
  CHECK(log::phone("+14155550199") == "***0199");
  CHECK(log::phone("whatsapp:+14155550199") == "***0199");
  CHECK(log::phone("123") == "123");
  CHECK(log::text("h\xc3\xa9llo") == "[5 chars]");
  CHECK(log::text("") == "[0 chars]");
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
