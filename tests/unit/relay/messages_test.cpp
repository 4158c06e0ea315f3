#include <catch2/catch.hpp>
#include <random>

#include "fakes/serve_config.h"
#include "relay/messages.h"
#include "relay/retry_policy.h"

using namespace sms;
using nlohmann::json;
using fakes::configured;

namespace {

twilio::InboundSms inbound_sms(std::string body) {
  twilio::InboundSms s;
  s.message_sid = "SM1";
  s.account_sid = "AC1";
  s.from = "+15551230001";
  s.to = "+15559870002";
  s.body = std::move(body);
  return s;
}
}  // namespace

TEST_CASE("an inbound SMS becomes Infinity Send Message bodies") {
  auto s = inbound_sms("hello");
  s.geo = {{"fromCity", "SF"}, {"toCountry", "US"}};
  auto m = relay::inbound_messages(s, configured(), "2025-09-14T17:03:14.973Z");
  REQUIRE(m.size() == 1);
  CHECK(m[0].direction == store::Direction::inbound);
  CHECK(m[0].conversation == "+15551230001|+15559870002");
  CHECK(m[0].source_id == "SM1");
  CHECK(m[0].payload == json{{"connectorId", "conn-1"},
                             {"channel", "text"},
                             {"headers", {{"from", "+15551230001"}, {"to", {"+15559870002"}}, {"destination", "+15559870002"}}},
                             {"body", {{"text", "hello"}}},
                             {"providerMetaData", {{"messageId", "SM1"}, {"messageTimestamp", "2025-09-14T17:03:14.973Z"}}},
                             {"correlationId", "SM1"},
                             {"contextParameters", {{"fromCity", "SF"}, {"toCountry", "US"}}}});
  CHECK(relay::dedupe_key(s) == "twilio:AC1:SM1");
}

TEST_CASE("media URLs are appended and long text is split into ordered parts") {
  auto s = inbound_sms("");
  s.media_urls = {"https://m/0", "https://m/1"};
  CHECK(relay::inbound_messages(s, configured(), "t")[0].payload["body"]["text"] == "https://m/0\nhttps://m/1");
  s.body = "look";
  CHECK(relay::inbound_messages(s, configured(), "t")[0].payload["body"]["text"] == "look\nhttps://m/0\nhttps://m/1");

  std::string text;
  for (int i = 0; i < 500; ++i) text += "word ";  // 2,500 characters
  auto parts = relay::inbound_messages(inbound_sms(text), configured(), "t");
  REQUIRE(parts.size() == 3);
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    CHECK(parts[i].payload["correlationId"] == "SM1-" + std::to_string(i + 1));
    CHECK(parts[i].payload["providerMetaData"]["messageId"] == "SM1");
    CHECK(parts[i].payload["body"]["text"].get<std::string>().size() <= 1024);
    joined += parts[i].payload["body"]["text"].get<std::string>();
  }
  CHECK(joined == text);
}

TEST_CASE("an opt-out keyword is marked for Infinity's workflows, beside at most 8 geo fields") {
  auto s = inbound_sms(" stop ");
  for (const char* k : {"fromCity", "fromState", "fromZip", "fromCountry", "toCity", "toState", "toZip", "toCountry"}) s.geo[k] = "x";
  auto m = relay::inbound_messages(s, configured(), "t");
  REQUIRE(m.size() == 1);
  CHECK(m[0].payload["contextParameters"].size() == 9);
  CHECK(m[0].payload["contextParameters"]["infinitySmsOptOut"] == "stop");
  s.body = "Arr\xc3\xaatez";
  s.opt_out_type = "START";
  CHECK(relay::inbound_messages(s, configured(), "t")[0].payload["contextParameters"]["infinitySmsOptOut"] == "start");
  auto plain = relay::inbound_messages(inbound_sms("stop by tomorrow"), configured(), "t");
  CHECK_FALSE(plain[0].payload.contains("contextParameters"));
}

TEST_CASE("an agent message becomes one Twilio send per recipient and part") {
  infinity::Event e;
  e.event_type = "messages";
  e.event_id = "ev1";
  e.from = "+15559870002";
  e.to = {"+15551230001", "+15551230002"};
  e.text = std::string(3500, 'x');
  auto without = relay::outbound_messages(e, configured());
  REQUIRE(without.size() == 6);
  CHECK(without[0].payload == json{{"from", "+15559870002"}, {"to", "+15551230001"}, {"body", std::string(1600, 'x')}});
  CHECK(without[2].payload["body"] == std::string(300, 'x'));
  CHECK(without[3].conversation == "+15551230002|+15559870002");
  auto with = relay::outbound_messages(e, configured({{"server", {{"publicUrl", "https://sms.example.com/"}}}}));
  CHECK(with[0].payload["statusCallback"] == "https://sms.example.com/callbacks/twilio/status");
  CHECK(relay::dedupe_key(e) == "infinity:ev1");
  e.event_id.clear();
  e.message_id = "m1";
  CHECK(relay::dedupe_key(e) == "infinity:message:m1");
}

TEST_CASE("retry delays: full jitter, capped, never before Retry-After") {
  std::mt19937_64 rng(7);
  relay::Backoff b{std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  Error e{ErrorKind::retryable, "x", 503, "", "", {}};
  for (int attempts = 0; attempts < 20; ++attempts)
    for (int i = 0; i < 50; ++i) {
      auto d = relay::retry_delay(b, attempts, e, rng).count();
      CHECK(d >= 0);
      CHECK(d <= std::min<std::int64_t>(1000, 100LL << std::min(attempts, 20)));
    }
  e.retry_after = std::chrono::milliseconds(5000);
  CHECK(relay::retry_delay(b, 0, e, rng).count() == 5000);
  CHECK(relay::is_final({ErrorKind::permanent, "", 400, "21610", "", {}}));
  CHECK_FALSE(relay::is_final({ErrorKind::auth, "", 401, "", "", {}}));
  CHECK_FALSE(relay::is_final({ErrorKind::timeout, "", 0, "", "", {}}));
}
