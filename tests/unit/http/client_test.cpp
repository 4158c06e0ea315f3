#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "fakes/fake_twilio.h"
#include "http/client.h"

using namespace sms;
using namespace std::chrono_literals;

TEST_CASE("the HTTP client passes statuses through and classifies transport failures") {
  fakes::FakeTwilio up;
  auto c = http::Client::create(up.url(), {300ms, 300ms, 300ms});
  REQUIRE(c);
  auto r = (*c)->send({"GET", "/nowhere", {}, "", ""});
  REQUIRE(r);
  CHECK(r->status == 404);

  fakes::Failure slow;
  slow.kind = fakes::Failure::Kind::timeout;
  slow.delay = 2s;
  up.inject(slow);
  auto started = std::chrono::steady_clock::now();
  auto t = (*c)->send({"GET", "/2010-04-01/Accounts/AC1.json", {}, "", ""});
  REQUIRE_FALSE(t);
  CHECK(t.error().kind == ErrorKind::timeout);
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);

  fakes::Failure drop;
  drop.kind = fakes::Failure::Kind::drop;
  up.inject(drop);
  auto d = (*c)->send({"GET", "/2010-04-01/Accounts/AC1.json", {}, "", ""});
  REQUIRE_FALSE(d);
  CHECK(d.error().kind == ErrorKind::network);

  // A port nobody listens on: bind one, read its number, close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  int closed_port = ntohs(addr.sin_port);
  close(fd);
  auto refused = http::Client::create("http://127.0.0.1:" + std::to_string(closed_port), {300ms, 300ms, 300ms});
  auto rr = (*refused)->send({"GET", "/", {}, "", ""});
  REQUIRE_FALSE(rr);
  CHECK(rr.error().kind == ErrorKind::network);
  CHECK(rr.error().message.find("could not connect") != std::string::npos);

  CHECK_FALSE(http::Client::create("not a url"));
  CHECK_FALSE(http::Client::create("https://host/with/path"));
}

TEST_CASE("Retry-After in seconds or as an HTTP date") {
  CHECK(http::parse_retry_after("3") == std::chrono::milliseconds(3000));
  CHECK(http::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == std::chrono::milliseconds(0));  // in the past
  CHECK_FALSE(http::parse_retry_after(""));
  CHECK_FALSE(http::parse_retry_after("soon"));
}
