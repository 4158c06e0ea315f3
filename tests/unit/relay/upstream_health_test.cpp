#include <catch2/catch.hpp>

#include "relay/upstream_health.h"

using namespace sms;
using namespace std::chrono_literals;
using relay::UpstreamHealth;

namespace {
Error unavailable(std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  auto e = make_error(ErrorKind::retryable, "HTTP 503 from Infinity");
  e.retry_after = retry_after;
  return e;
}
}  // namespace

TEST_CASE("one message failing alone keeps its own backoff, two different ones make the upstream failing") {
  UpstreamHealth h;
  CHECK_FALSE(h.failed(1, unavailable(), 1000, 1000, 2s));
  CHECK_FALSE(h.failed(1, unavailable(), 2000, 2000, 2s));  // the same message again: still its own backoff
  CHECK_FALSE(h.state().failing);
  CHECK(h.claim_limit(2000, 8, 2s) == 8);
  auto due = h.failed(2, unavailable(), 3000, 3000, 2s);
  REQUIRE(due);
  CHECK(*due == 5000);
  auto s = h.state();
  CHECK(s.failing);
  CHECK(s.failing_since_ms == 3000);
  CHECK(s.next_probe_ms == 5000);
  CHECK(s.last_error == "HTTP 503 from Infinity");
}

TEST_CASE("an answer between two failures resets the streak") {
  UpstreamHealth h;
  CHECK_FALSE(h.failed(1, unavailable(), 1000, 1000, 2s));
  CHECK_FALSE(h.answered(1100));  // it was not failing
  CHECK_FALSE(h.failed(2, unavailable(), 1200, 1200, 2s));
  CHECK_FALSE(h.state().failing);
}

TEST_CASE("a failing upstream lets one probe through per interval, never before a Retry-After") {
  UpstreamHealth h;
  h.failed(1, unavailable(), 0, 0, 2s);
  REQUIRE(h.failed(2, unavailable(), 0, 0, 2s));
  CHECK(h.claim_limit(1999, 8, 2s) == 0);
  CHECK(h.claim_limit(2000, 8, 2s) == 1);  // the probe
  CHECK(h.claim_limit(2001, 8, 2s) == 0);  // the next one is an interval away
  CHECK(h.claim_limit(3999, 8, 2s) == 0);
  auto due = h.failed(3, unavailable(30s), 2500, 2500, 2s);  // the probe: 503 with Retry-After: 30
  REQUIRE(due);
  CHECK(*due == 32500);
  CHECK(h.claim_limit(32499, 8, 2s) == 0);
  CHECK(h.claim_limit(32500, 8, 2s) == 1);
  auto later = h.failed(4, unavailable(), 33000, 33000, 2s);  // a shorter wait never brings the probe forward
  REQUIRE(later);
  CHECK(*later == 35000);
}

TEST_CASE("the first answer ends the failing period and lifts the limit") {
  UpstreamHealth h;
  h.failed(1, unavailable(), 1000, 1000, 2s);
  h.failed(2, unavailable(), 1000, 1000, 2s);
  auto down = h.answered(11000);
  REQUIRE(down);
  CHECK(*down == 10000ms);
  CHECK_FALSE(h.state().failing);
  CHECK(h.state().next_probe_ms == 0);
  CHECK(h.claim_limit(11000, 8, 2s) == 8);
  CHECK_FALSE(h.failed(3, unavailable(), 11500, 11500, 2s));  // a new streak starts from nothing
}

TEST_CASE("a request sent before the answer that ended an outage fails without a streak and its message is due at once") {
  UpstreamHealth h;
  h.failed(1, unavailable(), 1000, 1000, 2s);
  REQUIRE(h.failed(2, unavailable(), 1000, 1000, 2s));
  REQUIRE(h.answered(3000));  // the probe sent at 2900 ends the outage
  // Message 3's request went out at 2950, beside the probe, and met the outage's last 503.
  auto due = h.failed(3, unavailable(), 2950, 3010, 2s);
  REQUIRE(due);
  CHECK(*due == 3010);
  CHECK_FALSE(h.state().failing);
  CHECK_FALSE(h.failed(4, unavailable(), 3050, 3100, 2s));  // sent after the answer: a streak of one
  REQUIRE(h.failed(5, unavailable(), 3060, 3110, 2s));      // and of two
  CHECK(h.state().failing);
}

TEST_CASE("while healthy a failure keeps its own backoff even if other requests are answered meanwhile") {
  UpstreamHealth h;
  CHECK_FALSE(h.answered(1000));
  CHECK_FALSE(h.failed(1, unavailable(), 900, 1100, 2s));  // one message's 503 among answers: no retry at once
}

TEST_CASE("which failures are the upstream's as a whole") {
  CHECK(relay::upstream_failing(make_error(ErrorKind::timeout, "")));
  CHECK(relay::upstream_failing(make_error(ErrorKind::network, "")));
  CHECK(relay::upstream_failing(make_error(ErrorKind::retryable, "")));
  CHECK(relay::upstream_failing(make_error(ErrorKind::auth, "")));
  CHECK_FALSE(relay::upstream_failing(make_error(ErrorKind::not_found, "")));
  CHECK_FALSE(relay::upstream_failing(make_error(ErrorKind::internal, "")));
  CHECK_FALSE(relay::upstream_failing(make_error(ErrorKind::permanent, "")));
}
