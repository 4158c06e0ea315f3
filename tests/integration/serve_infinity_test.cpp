// serve: the Infinity webhook, end to end against the fakes.
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

TEST_CASE("serve sends an agent reply through Twilio with the exact form", "[serve][infinity]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  cfg["server"]["publicUrl"] = "https://connector.example.com/";
  Serve s(cfg);

  auto r = s.post_infinity(agent_event("9a68394c-46ca-43b0-8d7a-c0511c7dbe84", inf.connector_id()).dump());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body) == json{{"success", true}});
  REQUIRE(tw.wait_for(1, 5s, "/2010-04-01"));
  auto sent = tw.messages();
  REQUIRE(sent.size() == 1);
  std::multimap<std::string, std::string> expected{
      {"From", "+14155550100"}, {"To", "+14155550199"}, {"Body", "Hi, how can I help you?"},
      {"StatusCallback", "https://connector.example.com/callbacks/twilio/status"}};
  CHECK(sent[0].form == expected);
  CHECK(sent[0].basic_user == tw.account_sid());
  REQUIRE(s.wait_state(State::sent, 1));
  CHECK(s.store()->list(std::nullopt, 1)->at(0).provider_id == sent[0].sid);
}

TEST_CASE("serve handles every Infinity event kind", "[serve][infinity]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));

  auto ok = [](const httplib::Result& r) { return r && r->status == 200; };
  CHECK(ok(s.post_infinity(R"({"eventType":"health_check"})")));
  CHECK(ok(s.post_infinity(R"({"eventType":"HEALTH_CHECK","eventId":"h2"})")));
  CHECK(ok(s.post_infinity(R"({"eventType":"typing_indicator","eventId":"t1"})")));
  CHECK(ok(s.post_infinity(agent_event("ev-cust", inf.connector_id(), "hello", json::array({"+14155550199"}), "customer").dump())));
  // Uppercase values (older Infinity builds) and numbers for phone numbers are accepted.
  auto upper = agent_event("ev-upper", inf.connector_id(), "upper", json::array({14155550177}), "AGENT");
  upper["eventType"] = "MESSAGES";
  CHECK(ok(s.post_infinity(upper.dump())));
  // Two recipients: one Twilio message each.
  CHECK(ok(s.post_infinity(agent_event("ev-two", inf.connector_id(), "both", json::array({"+14155550001", "+14155550002"}), "bot").dump())));
  REQUIRE(tw.wait_for(3, 5s, "/2010-04-01"));
  std::this_thread::sleep_for(200ms);
  auto sent = tw.messages();
  REQUIRE(sent.size() == 3);
  std::set<std::string> to;
  for (auto& m : sent) to.insert(m.form.find("To")->second);
  CHECK(to == std::set<std::string>{"+14155550177", "+14155550001", "+14155550002"});

  auto wrong_connector = s.post_infinity(agent_event("ev-wrong", "someone-else").dump());
  REQUIRE(wrong_connector);
  CHECK(wrong_connector->status == 403);

  auto bad_json = s.post_infinity(R"({"eventType":"messages",)");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  CHECK(json::parse(bad_json->body)["error"]["code"] == "invalid_event");

  auto no_to = agent_event("ev-no-to", inf.connector_id());
  no_to["headers"].erase("to");
  auto missing = s.post_infinity(no_to.dump());
  REQUIRE(missing);
  CHECK(missing->status == 400);
}

TEST_CASE("serve checks the Infinity signature over the raw body", "[serve][infinity]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto body = agent_event("ev-sig", inf.connector_id()).dump();

  auto none = s.post_infinity(body, "");
  REQUIRE(none);
  CHECK(none->status == 401);
  auto malformed = s.client->Post("/callbacks/avaya/infinity/sms", {{"x-avaya-event-signature", "sha1=abc"}}, body,
                                  "application/json");
  REQUIRE(malformed);
  CHECK(malformed->status == 401);
  auto wrong = s.post_infinity(body, "another-secret");
  REQUIRE(wrong);
  CHECK(wrong->status == 403);
  // Signed for another body.
  auto other = s.client->Post("/callbacks/avaya/infinity/sms",
                              {{"x-avaya-event-signature", sms::infinity::compute_signature(kWebhookSecret, body + " ")}},
                              agent_event("ev-sig2", inf.connector_id()).dump(), "application/json");
  REQUIRE(other);
  CHECK(other->status == 403);
  // A pretty-printed body signed in the sample's compact form passes the fallback.
  auto pretty = agent_event("ev-pretty", inf.connector_id()).dump(2);
  auto compact_sig = sms::infinity::compute_signature(kWebhookSecret, sms::infinity::compact_json(pretty));
  auto fallback = s.client->Post("/callbacks/avaya/infinity/sms", {{"x-avaya-event-signature", compact_sig}}, pretty,
                                 "application/json");
  REQUIRE(fallback);
  CHECK(fallback->status == 200);

  REQUIRE(tw.wait_for(1, 5s, "/2010-04-01"));
  std::this_thread::sleep_for(100ms);
  CHECK(tw.messages().size() == 1);
}

TEST_CASE("serve relays a repeated eventId once", "[serve][infinity]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto body = agent_event("ev-dup", inf.connector_id()).dump();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i)
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", s.port);
      auto r = c.Post("/callbacks/avaya/infinity/sms",
                      {{"x-avaya-event-signature", sms::infinity::compute_signature(kWebhookSecret, body)}}, body,
                      "application/json");
      if (r && r->status == 200) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 10);
  REQUIRE(tw.wait_for(1, 5s, "/2010-04-01"));
  std::this_thread::sleep_for(200ms);
  CHECK(tw.messages().size() == 1);
}
