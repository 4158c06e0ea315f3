// serve: the Twilio inbound webhook and status callbacks, end to end against the fakes.
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

TEST_CASE("serve relays the real Twilio payload to Infinity exactly", "[serve][twilio]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));

  auto r = s.post_twilio("/callbacks/twilio/sms", real_inbound(), tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/xml");
  CHECK(r->body == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");

  REQUIRE(inf.wait_for(1, 5s, "/api/digital"));
  auto sent = inf.messages();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].path == "/api/digital/messaging/v1/accounts/" + inf.account_id() + "/messages");
  auto m = sent[0].message;
  CHECK(m["connectorId"] == inf.connector_id());
  CHECK(m["channel"] == "text");
  CHECK(m["headers"] == json{{"from", "+14155550199"}, {"to", {"+14155550100"}}, {"destination", "+14155550100"}});
  CHECK(m["body"]["text"] == "Hello, caf\xc3\xa9 \xe2\x98\x95 & friends");
  CHECK(m["providerMetaData"]["messageId"] == "SM11111111111111111111111111111111");
  CHECK(m["providerMetaData"]["messageTimestamp"].get<std::string>().size() == 24);
  CHECK(m["correlationId"] == "SM11111111111111111111111111111111");
  CHECK(m["contextParameters"] == json{{"fromCity", "SAN FRANCISCO"}, {"fromCountry", "US"}, {"fromState", "CA"},
                                       {"fromZip", "94105"}, {"toCity", "SAN FRANCISCO"}, {"toCountry", "US"},
                                       {"toState", "CA"}, {"toZip", "94105"}});
  CHECK_FALSE(m["contextParameters"].contains("category"));
  CHECK(s.wait_state(State::sent, 1));
}

TEST_CASE("serve rejects unsigned and mis-signed Twilio webhooks and stores nothing", "[serve][twilio]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));

  auto missing = s.post_twilio("/callbacks/twilio/sms", real_inbound(), "");
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(json::parse(missing->body)["error"]["code"] == "signature_missing");

  auto wrong = s.post_twilio("/callbacks/twilio/sms", real_inbound(), "another-token");
  REQUIRE(wrong);
  CHECK(wrong->status == 403);

  // Signed for another body: sign one payload, send another.
  auto fields = real_inbound();
  auto sig = sms::twilio::compute_signature(tw.auth_token(), s.base() + "/callbacks/twilio/sms", fields);
  fields[10].second = "tampered";
  auto tampered = s.client->Post("/callbacks/twilio/sms", {{"X-Twilio-Signature", sig}},
                                 sms::form::encode(fields), "application/x-www-form-urlencoded");
  REQUIRE(tampered);
  CHECK(tampered->status == 403);

  auto counts = s.store()->counts();
  REQUIRE(counts);
  for (auto& [state, n] : *counts) CHECK(n == 0);
  CHECK(inf.count("/api/digital") == 0);
}

TEST_CASE("serve validates inbound fields", "[serve][twilio]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  for (const char* field : {"From", "To", "MessageSid"}) {
    sms::form::Fields f;
    for (auto& kv : real_inbound()) if (kv.first != field) f.push_back(kv);
    auto r = s.post_twilio("/callbacks/twilio/sms", f, tw.auth_token());
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body)["error"]["message"].get<std::string>().find(field) != std::string::npos);
  }
  auto empty_body = real_inbound("SM1", "AC1", "");
  auto r = s.post_twilio("/callbacks/twilio/sms", empty_body, tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 400);

  auto json_body = s.client->Post("/callbacks/twilio/sms", "{}", "application/json");
  REQUIRE(json_body);
  CHECK(json_body->status == 415);
}

TEST_CASE("serve verifies against server.publicUrl and trusted forwarding headers", "[serve][twilio]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;

  SECTION("publicUrl") {
    auto cfg = fake_config(tw, inf);
    cfg["server"]["publicUrl"] = "https://connector.example.com";
    Serve s(cfg);
    auto fields = real_inbound();
    auto sig = sms::twilio::compute_signature(tw.auth_token(),
                                              "https://connector.example.com/callbacks/twilio/sms?tenant=acme", fields);
    auto r = s.client->Post("/callbacks/twilio/sms?tenant=acme", {{"X-Twilio-Signature", sig}},
                            sms::form::encode(fields), "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK(r->status == 200);
    // The same signature with the port Twilio's helpers add (:443) also validates.
    auto sig443 = sms::twilio::compute_signature(
        tw.auth_token(), "https://connector.example.com:443/callbacks/twilio/sms?tenant=acme", real_inbound("SM2"));
    auto r2 = s.client->Post("/callbacks/twilio/sms?tenant=acme", {{"X-Twilio-Signature", sig443}},
                             sms::form::encode(real_inbound("SM2")), "application/x-www-form-urlencoded");
    REQUIRE(r2);
    CHECK(r2->status == 200);
  }
  SECTION("forwarded headers only with trustProxy") {
    auto fields = real_inbound();
    auto sig = sms::twilio::compute_signature(tw.auth_token(), "https://public.example.com/callbacks/twilio/sms", fields);
    httplib::Headers h{{"X-Twilio-Signature", sig}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "public.example.com"}};
    {
      Serve untrusted(fake_config(tw, inf));
      auto r = untrusted.client->Post("/callbacks/twilio/sms", h, sms::form::encode(fields), "application/x-www-form-urlencoded");
      REQUIRE(r);
      CHECK(r->status == 403);
    }
    auto cfg = fake_config(tw, inf);
    cfg["server"]["trustProxy"] = true;
    Serve trusted(cfg);
    auto r = trusted.client->Post("/callbacks/twilio/sms", h, sms::form::encode(fields), "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("serve splits long inbound text and relays a duplicate webhook once", "[serve][twilio]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  // 1,600 non-Latin characters: about 14 KB once form-encoded, over cpp-httplib's 8 KiB form limit.
  std::string text;
  for (int i = 0; i < 400; ++i) text += "\xd0\x9f\xd1\x80\xd0\xb8 ";  // "При " x 400
  auto fields = real_inbound("SM99999999999999999999999999999999", "AC33333333333333333333333333333333", text);
  for (int i = 0; i < 3; ++i) {
    auto r = s.post_twilio("/callbacks/twilio/sms", fields, tw.auth_token());
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  REQUIRE(inf.wait_for(2, 5s, "/api/digital"));
  std::this_thread::sleep_for(200ms);  // a wrongly relayed duplicate would arrive in this window
  auto sent = inf.messages();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].message["correlationId"] == "SM99999999999999999999999999999999-1");
  CHECK(sent[1].message["correlationId"] == "SM99999999999999999999999999999999-2");
  CHECK(sent[0].message["body"]["text"].get<std::string>() + sent[1].message["body"]["text"].get<std::string>() == text);
}

TEST_CASE("serve records Twilio status callbacks without moving backwards", "[serve][twilio]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto r = s.post_infinity(agent_event("ev-status-1", inf.connector_id()).dump());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  REQUIRE(tw.wait_for(1, 5s, "/2010-04-01"));
  REQUIRE(s.wait_state(State::sent, 1));
  auto sid = tw.messages().at(0).sid;

  auto status = [&](const std::string& st) {
    sms::form::Fields f{{"SmsSid", sid}, {"SmsStatus", st}, {"MessageStatus", st}, {"To", "+14155550199"},
                        {"MessageSid", sid}, {"AccountSid", tw.account_sid()}, {"From", "+14155550100"},
                        {"ApiVersion", "2010-04-01"}};
    auto res = s.post_twilio("/callbacks/twilio/status", f, tw.auth_token());
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
  };
  status("delivered");
  status("sent");  // late: must not overwrite delivered
  auto store = s.store();
  auto list = store->list(std::nullopt, 10);
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).state == State::delivered);
  CHECK(list->at(0).provider_id == sid);

  auto unsigned_status = s.client->Post("/callbacks/twilio/status", "MessageSid=SM1&MessageStatus=failed",
                                        "application/x-www-form-urlencoded");
  REQUIRE(unsigned_status);
  CHECK(unsigned_status->status == 401);
}
