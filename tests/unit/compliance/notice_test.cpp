#include <catch2/catch.hpp>

#include "compliance/notice.h"
#include "fakes/serve_config.h"

using namespace sms;
using nlohmann::json;
using fakes::configured;

namespace {

store::Message failed_reply(std::string provider_code, store::State state = store::State::dead) {
  store::Message m;
  m.id = 42;
  m.direction = store::Direction::outbound;
  m.state = state;
  m.conversation = "+15551230001|+15559870002";
  m.payload = json{{"from", "+15559870002"}, {"to", "+15551230001"}, {"body", "hi"}}.dump();
  m.provider_code = std::move(provider_code);
  m.last_error = "Twilio said no";
  return m;
}

}  // namespace

TEST_CASE("a failed reply's reason comes from its provider code or state") {
  CHECK(compliance::reason_code(failed_reply("opted_out")) == "opted_out");
  CHECK(compliance::reason_code(failed_reply("21610")) == "opted_out");
  CHECK(compliance::reason_code(failed_reply("21211")) == "invalid_number");
  CHECK(compliance::reason_code(failed_reply("30006", store::State::failed)) == "invalid_number");
  CHECK(compliance::reason_code(failed_reply("30007", store::State::failed)) == "carrier_blocked");
  CHECK(compliance::reason_code(failed_reply("", store::State::expired)) == "expired");
  CHECK(compliance::reason_code(failed_reply("30008", store::State::failed)) == "failed");
  CHECK(compliance::reason_code(failed_reply("")) == "failed");
}

TEST_CASE("the notice goes into the customer's conversation with the reason and the outbox id") {
  auto n = compliance::notice_for(failed_reply("21610"), configured(), "2026-12-04T00:00:00.000Z");
  REQUIRE(n);
  CHECK(n->dedupe_key == "notice:42");
  CHECK(n->message.direction == store::Direction::inbound);
  CHECK(n->message.conversation == "+15551230001|+15559870002");  // end user first, as inbound SMS
  const auto& p = n->message.payload;
  CHECK(p["connectorId"] == "conn-1");
  CHECK(p["headers"]["from"] == "+15551230001");
  CHECK(p["headers"]["to"] == json::array({"+15559870002"}));
  CHECK(p["contextParameters"] == json{{"infinitySmsNotice", "opted_out"}, {"infinitySmsOutboxId", "42"}});
  auto text = p["body"]["text"].get<std::string>();
  CHECK(text.rfind("[infinity-sms] Your reply was not delivered: the customer has opted out", 0) == 0);
  CHECK(p["correlationId"] == "notice-42");
}

TEST_CASE("the notice's text follows compliance.noticeTemplate") {
  auto c = configured({{"compliance", {{"noticeTemplate", "NOT SENT ({code}, Twilio {providerCode}, #{outboxId}): {reason}"}}}});
  auto n = compliance::notice_for(failed_reply("30007", store::State::failed), c, "t");
  REQUIRE(n);
  CHECK(n->message.payload["body"]["text"] == "NOT SENT (carrier_blocked, Twilio 30007, #42): the carrier blocked it (Twilio error 30007)");
  auto expired = compliance::notice_for(failed_reply("", store::State::expired), c, "t");
  REQUIRE(expired);
  CHECK(expired->message.payload["body"]["text"] == "NOT SENT (expired, Twilio , #42): it could not be sent in time (relay.outboundMaxAge)");
}

TEST_CASE("no notice when notifyAgent is off, for inbound messages, or for a payload without numbers") {
  CHECK_FALSE(compliance::notice_for(failed_reply("21610"), configured({{"compliance", {{"notifyAgent", false}}}}), "t"));
  auto inbound = failed_reply("");
  inbound.direction = store::Direction::inbound;  // a notice that failed never causes another
  CHECK_FALSE(compliance::notice_for(inbound, configured(), "t"));
  auto broken = failed_reply("");
  broken.payload = "not json";
  CHECK_FALSE(compliance::notice_for(broken, configured(), "t"));
}

TEST_CASE("attachments that did not go out as MMS get a notice of their own per reason") {
  auto m = failed_reply("", store::State::sending);  // still being delivered
  auto refused = compliance::media_notice(m, "media_not_supported", "21612", configured(), "2026-12-04T00:00:00.000Z");
  REQUIRE(refused);
  CHECK(refused->dedupe_key == "notice:42:media_not_supported");  // apart from a failure's "notice:42"
  CHECK(refused->message.conversation == "+15551230001|+15559870002");
  const auto& p = refused->message.payload;
  CHECK(p["body"]["text"] ==
        "[infinity-sms] Your reply's attachments did not go out as MMS: the customer's number cannot receive MMS (Twilio "
        "error 21612); they went as links in a text instead.");
  CHECK(p["contextParameters"] == json{{"infinitySmsNotice", "media_not_supported"}, {"infinitySmsOutboxId", "42"}});
  CHECK(p["correlationId"] == "notice-42:media_not_supported");

  auto c = configured({{"compliance", {{"mediaNoticeTemplate", "MEDIA ({code}, {providerCode}, #{outboxId}): {reason}"}}}});
  auto unavailable = compliance::media_notice(m, "media_unavailable", "", c, "t");
  REQUIRE(unavailable);
  CHECK(unavailable->dedupe_key == "notice:42:media_unavailable");
  CHECK(unavailable->message.payload["body"]["text"] ==
        "MEDIA (media_unavailable, , #42): Infinity gave no download link for some of them; your reply went without those, "
        "and says so");
  CHECK_FALSE(compliance::media_notice(m, "media_unavailable", "", configured({{"compliance", {{"notifyAgent", false}}}}), "t"));
}
