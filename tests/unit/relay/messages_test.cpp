#include <catch2/catch.hpp>
#include <random>

#include "fakes/serve_config.h"
#include "core/text.h"
#include "relay/media.h"
#include "relay/messages.h"
#include "relay/outbound_media.h"
#include "relay/retry_policy.h"

using namespace sms;
using nlohmann::json;
using fakes::configured;

namespace {

// An agent's message event with `text` to two end users.
infinity::Event agent_message(std::string text) {
  infinity::Event e;
  e.event_type = "messages";
  e.event_id = "ev1";
  e.from = "+15559870002";
  e.to = {"+15551230001", "+15551230002"};
  e.text = std::move(text);
  return e;
}

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
  auto e = agent_message(std::string(3500, 'x'));
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

TEST_CASE("an agent's attachments ride on the last part that has room for their links") {
  auto e = agent_message("Your invoice");
  e.attachment_ids = {"att-1", "att-2"};
  auto short_text = relay::outbound_messages(e, configured());
  REQUIRE(short_text.size() == 2);  // one per recipient, text and attachments together
  for (const auto& m : short_text) {
    CHECK(m.payload["body"] == "Your invoice");
    CHECK(m.payload[relay::kAttachmentsField] == json{"att-1", "att-2"});
  }

  // Room for the text plus two links: 1,600 - 2 * kLinkRoom characters on the part with them.
  e.to = {"+15551230001"};
  e.text = std::string(1600 - 2 * relay::kLinkRoom, 'x');
  auto fits = relay::outbound_messages(e, configured());
  REQUIRE(fits.size() == 1);
  CHECK(fits[0].payload.contains(relay::kAttachmentsField));
  e.text += "y";
  auto apart = relay::outbound_messages(e, configured());
  REQUIRE(apart.size() == 2);
  CHECK_FALSE(apart[0].payload.contains(relay::kAttachmentsField));
  CHECK(apart[1].payload["body"] == "");
  CHECK(apart[1].payload[relay::kAttachmentsField] == json{"att-1", "att-2"});

  e.text = "";  // body.type file: the attachments alone
  auto alone = relay::outbound_messages(e, configured());
  REQUIRE(alone.size() == 1);
  CHECK(alone[0].payload["body"] == "");
  CHECK(alone[0].payload[relay::kAttachmentsField].size() == 2);
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

namespace {

// inbound_sms() as an MMS "MM1" with `media` pictures on api.twilio.com.
twilio::InboundSms mms(std::string body, std::size_t media) {
  auto s = inbound_sms(std::move(body));
  s.message_sid = "MM1";
  s.num_media = static_cast<int>(media);
  for (std::size_t i = 0; i < media; ++i) {
    s.media_urls.push_back("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME" + std::to_string(i));
    s.media_content_types.push_back("image/jpeg");
  }
  return s;
}

std::vector<store::NewMessage> stored(const twilio::InboundSms& s, const char* mode) {
  return relay::inbound_messages(s, configured({{"relay", {{"inboundMedia", mode}}}}), "t");
}

}  // namespace

TEST_CASE("attach mode keeps the media in the payload, at most 5 per message, in order") {
  auto three = stored(mms("look", 3), "attach");
  REQUIRE(three.size() == 1);
  CHECK(three[0].payload["body"]["text"] == "look");
  REQUIRE(three[0].payload[relay::kMediaField].size() == 3);
  CHECK(three[0].payload[relay::kMediaField][2] ==
        json{{"url", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2"}, {"contentType", "image/jpeg"}});
  CHECK(three[0].payload["correlationId"] == "MM1");

  auto twelve = stored(mms("look", 12), "attach");
  REQUIRE(twelve.size() == 3);  // 5 + 5 + 2
  std::vector<std::string> urls;
  for (std::size_t i = 0; i < twelve.size(); ++i) {
    CHECK(twelve[i].payload["correlationId"] == "MM1-" + std::to_string(i + 1));
    CHECK(twelve[i].payload[relay::kMediaField].size() == (i < 2 ? 5u : 2u));
    for (const auto& m : twelve[i].payload[relay::kMediaField]) urls.push_back(m["url"]);
  }
  CHECK(twelve[0].payload["body"]["text"] == "look");
  CHECK(twelve[1].payload["body"]["text"] == "");
  REQUIRE(urls.size() == 12);
  for (std::size_t i = 0; i < urls.size(); ++i) CHECK(urls[i].ends_with("/ME" + std::to_string(i)));

  CHECK_FALSE(stored(mms("plain", 0), "attach")[0].payload.contains(relay::kMediaField));
}

TEST_CASE("attach mode leaves room in a message's text for its media as links") {
  std::string text;
  while (text::length(text) < 1000) text += "word ";
  auto m = stored(mms(text, 2), "attach");
  REQUIRE(m.size() == 2);  // the text leaves no room for two links: the media go on a part of their own
  CHECK_FALSE(m[0].payload.contains(relay::kMediaField));
  CHECK(m[1].payload[relay::kMediaField].size() == 2);
  for (const auto& part : m) {
    auto t = part.payload["body"]["text"].get<std::string>();
    for (const auto& media : part.payload.value(relay::kMediaField, json::array())) t = relay::with_link(t, media["url"]);
    CHECK(text::length(t) <= relay::kInfinityTextLimit);
  }
}

TEST_CASE("link mode appends the URLs, drop mode says how many media were dropped") {
  CHECK(stored(mms("look", 2), "link")[0].payload["body"]["text"] ==
        "look\nhttps://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0\n"
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1");
  auto dropped = stored(mms("look", 7), "drop");
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].payload["body"]["text"] == "look\n[7 media dropped]");
  CHECK_FALSE(dropped[0].payload.contains(relay::kMediaField));
  CHECK(stored(mms("", 1), "drop")[0].payload["body"]["text"] == "[1 media dropped]");
}
