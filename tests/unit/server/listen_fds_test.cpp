#include <catch2/catch.hpp>

#include "server/listen_fds.h"

using namespace sms::server;

// The descriptors themselves are checked by the integration tests (restart_test), which start
// serve with real sockets at 3 and 4; these cases never reach a descriptor.
TEST_CASE("without LISTEN_FDS, or for another process, nothing is inherited") {
  auto none = inherited_sockets({}, 1234);
  REQUIRE(none);
  CHECK_FALSE(none->webhook);
  CHECK_FALSE(none->admin);
  auto other = inherited_sockets({{"LISTEN_FDS", "2"}, {"LISTEN_PID", "999"}, {"LISTEN_FDNAMES", "webhook:admin"}}, 1234);
  REQUIRE(other);
  CHECK_FALSE(other->webhook);
  auto no_pid = inherited_sockets({{"LISTEN_FDS", "1"}}, 1234);
  REQUIRE(no_pid);
  CHECK_FALSE(no_pid->webhook);
  auto zero = inherited_sockets({{"LISTEN_FDS", "0"}, {"LISTEN_PID", "1234"}}, 1234);
  REQUIRE(zero);
  CHECK_FALSE(zero->webhook);
}

TEST_CASE("a LISTEN_FDS that is not a count is a config error") {
  for (const char* bad : {"two", "-1", "1x"}) {
    INFO(bad);
    auto r = inherited_sockets({{"LISTEN_FDS", bad}, {"LISTEN_PID", "1234"}}, 1234);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == sms::ErrorKind::config);
    CHECK(r.error().message.find("LISTEN_FDS") != std::string::npos);
  }
}
