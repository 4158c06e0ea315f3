#include <catch2/catch.hpp>

#include "core/clock.h"
#include "core/form.h"
#include "core/url.h"

using namespace sms;

TEST_CASE("form bodies decode like Twilio's helpers") {
  auto f = form::parse("a=1&b=&c&&d=x+y%20z&e=%ZZ%4&a=2&caf%C3%A9=%E2%98%95");
  form::Fields expected{{"a", "1"}, {"b", ""}, {"c", ""}, {"d", "x y z"}, {"e", "%ZZ%4"}, {"a", "2"}, {"caf\xc3\xa9", "\xe2\x98\x95"}};
  CHECK(f == expected);
  CHECK(form::value(f, "a") == "1");
  CHECK(form::value(f, "missing") == "");
  CHECK(form::has(f, "c"));
  CHECK(form::parse(form::encode(expected)) == expected);
  CHECK(form::encode({{"Body", "Hello, caf\xc3\xa9 & friends"}}) == "Body=Hello%2C+caf%C3%A9+%26+friends");
  CHECK(form::url_encode("a b/c~") == "a%20b%2Fc~");
  CHECK(form::url_decode("a+b%2F", false) == "a+b/");
}

TEST_CASE("URLs parse into their parts") {
  auto u = parse_url("HTTPS://user:pass@Example.com:8443/p/a?x=1&y=2#frag");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->userinfo == "user:pass");
  CHECK(u->host == "Example.com");
  CHECK(u->port == 8443);
  CHECK(u->path == "/p/a");
  CHECK(u->query == "x=1&y=2");
  CHECK(u->fragment == "frag");
  CHECK(u->origin() == "https://user:pass@Example.com:8443");
  auto v6 = parse_url("http://[::1]:80");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->is_loopback());
  CHECK(parse_url("http://127.0.0.5/")->is_loopback());
  CHECK_FALSE(parse_url("https://api.twilio.com")->is_loopback());
  CHECK_FALSE(parse_url("http://127.evil.example/")->is_loopback());  // a DNS name, not 127/8
  CHECK_FALSE(parse_url("http://127.0.0.1.nip.io/")->is_loopback());
  CHECK(parse_url("http://LOCALHOST:8/")->is_loopback());
  CHECK(parse_url("https://core.acme.ec.avayacloud.com")->keeps_credentials_private());
  CHECK(parse_url("http://127.0.0.1:9")->keeps_credentials_private());
  CHECK_FALSE(parse_url("http://core.acme.ec.avayacloud.com")->keeps_credentials_private());
  CHECK_FALSE(parse_url("http://10.0.0.5:8080")->keeps_credentials_private());
  CHECK(parse_url("https://api.twilio.com")->effective_port() == 443);
  for (const char* bad : {"ftp://x", "example.com", "http://", "http://h:0", "http://h:70000", "http://h:12a", "http://h:", "http://a b", "http://a\rb/", "http://a\x01b", "http://a\x7f"})
    CHECK_FALSE(parse_url(bad));
  CHECK(normalize_base_url("core.acme.ec.avayacloud.com/") == "https://core.acme.ec.avayacloud.com");
  CHECK(normalize_base_url("http://127.0.0.1:9") == "http://127.0.0.1:9");
}

TEST_CASE("ISO 8601 and durations") {
  using namespace std::chrono;
  CHECK(iso8601(SysTime{}) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601(SysTime{milliseconds(1757869394973)}) == "2025-09-14T17:03:14.973Z");
  auto t = parse_iso8601("2025-09-14T17:03:14.973161008Z");
  REQUIRE(t);
  CHECK(unix_ms(*t) == 1757869394973);
  CHECK(unix_ms(*parse_iso8601("2025-09-14T19:03:14+02:00")) == 1757869394000);
  for (const char* bad : {"2025-09-14", "2025-09-14T17:03:14", "2025-13-14T17:03:14Z", "2025-09-14T17:03:14.Z",
                          "2025-09-14T17:03:14.1234567890Z", "2025-09-14T17:03:14Zjunk",
                          "4052-12-04T00:00:00.000Z" /* fuzzer finding: overflowed the nanosecond clock */, "1969-12-31T23:59:59Z"})
    CHECK_FALSE(parse_iso8601(bad));
  CHECK(unix_ms(*parse_iso8601("2200-12-31T23:59:59Z")) == 7289654399000);
  CHECK(parse_duration("500ms") == milliseconds(500));
  CHECK(parse_duration("30") == seconds(30));
  CHECK(parse_duration("15m") == minutes(15));
  CHECK(parse_duration("2h") == hours(2));
  CHECK(parse_duration("7d") == hours(168));
  for (const char* bad : {"", "-1s", "soon", "5w", "1.5s", "99999999999999999999d"}) CHECK_FALSE(parse_duration(bad));
}
