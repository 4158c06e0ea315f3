// What an operator sees of a running serve: GET /metrics and `infinity-sms status`.
#include <csignal>
#include <sstream>

#include "core/clock.h"
#include "serve_fixture.h"

using namespace itest;

namespace {

// The value of one sample line "name{labels} value" in a scrape, or -1.
double sample(const std::string& scrape, const std::string& series) {
  auto at = scrape.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(scrape.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("/metrics counts webhooks, deliveries, signature failures, segments and the queue", "[serve][metrics]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  REQUIRE(s.post_twilio("/callbacks/twilio/sms", real_inbound("SM00000000000000000000000000000001"), tw.auth_token())->status == 200);
  REQUIRE(s.post_twilio("/callbacks/twilio/sms", real_inbound("SM00000000000000000000000000000002"), "wrong")->status == 403);
  REQUIRE(s.post_infinity(agent_event("ev-1", inf.connector_id(), "caf\xc3\xa9 \xe2\x98\x95").dump())->status == 200);
  REQUIRE(s.post_infinity(agent_event("ev-2", inf.connector_id()).dump())->status == 200);
  REQUIRE(inf.wait_for(1, 5s, "/api/digital"));
  REQUIRE(tw.wait_for(2, 5s, "/2010-04-01"));
  REQUIRE(s.wait_state(sms::store::State::sent, 3));

  auto r = s.admin->Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type").find("text/plain") == 0);
  const auto& m = "\n" + r->body;
  CHECK(sample(m, "infinity_sms_webhooks_total{route=\"twilio_sms\",status=\"200\"}") == 1);
  CHECK(sample(m, "infinity_sms_webhooks_total{route=\"twilio_sms\",status=\"403\"}") == 1);
  CHECK(sample(m, "infinity_sms_webhooks_total{route=\"infinity\",status=\"200\"}") == 2);
  CHECK(sample(m, "infinity_sms_webhook_ack_seconds_count{route=\"infinity\"}") == 2);
  CHECK(sample(m, "infinity_sms_signature_failures_total{provider=\"twilio\",reason=\"signature_mismatch\"}") == 1);
  CHECK(sample(m, "infinity_sms_messages_total{direction=\"inbound\",outcome=\"sent\"}") == 1);
  CHECK(sample(m, "infinity_sms_messages_total{direction=\"outbound\",outcome=\"sent\"}") == 2);
  CHECK(sample(m, "infinity_sms_relay_latency_seconds_count{direction=\"outbound\"}") == 2);
  CHECK(sample(m, "infinity_sms_sms_segments_total{encoding=\"ucs2\"}") == 1);  // the emoji
  CHECK(sample(m, "infinity_sms_sms_segments_total{encoding=\"gsm7\"}") == 1);
  CHECK(sample(m, "infinity_sms_token_requests_total{outcome=\"ok\"}") >= 1);
  CHECK(sample(m, "infinity_sms_queue_messages{state=\"sent\"}") == 3);
  CHECK(sample(m, "infinity_sms_queue_messages{state=\"queued\"}") == 0);
  CHECK(sample(m, "infinity_sms_oldest_queued_age_seconds") == 0);
  // Not on the internet-facing listener.
  auto pub = s.client->Get("/metrics");
  REQUIRE(pub);
  CHECK(pub->status == 404);
}

TEST_CASE("status reports readiness, queue, last deliveries, dead letters and token expiry", "[serve][status]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  const std::string url = "http://127.0.0.1:" + std::to_string(s.admin_port);
  REQUIRE(s.post_twilio("/callbacks/twilio/sms", real_inbound(), tw.auth_token())->status == 200);
  REQUIRE(s.wait_state(sms::store::State::sent, 1));
  tw.fail_with_code(400, 21211, "Invalid 'To' Phone Number");
  REQUIRE(s.post_infinity(agent_event("ev-dead", inf.connector_id()).dump())->status == 200);
  REQUIRE(s.wait_state(sms::store::State::dead, 1));
  REQUIRE(s.wait_state(sms::store::State::sent, 2));  // the agent's notice of the dead reply

  auto anon = s.admin->Get("/api/status");
  REQUIRE(anon);
  CHECK(anon->status == 401);

  auto json_out = fakes::run({"--config", s.dir.file("config.json"), "status", "--url", url, "--json"});
  CHECK(json_out.exit_code == 0);
  auto j = json::parse(json_out.out);
  CHECK(j["status"] == "ready");
  CHECK(j["queue"]["sent"] == 2);
  CHECK(j["queue"]["dead"] == 1);
  CHECK(j["deadLetters"] == 1);
  CHECK(j["optOuts"] == 0);
  CHECK(j["lastDelivery"]["inbound"].is_string());
  CHECK(j["lastDelivery"]["outbound"].is_null());
  REQUIRE(j["tokenExpires"].is_string());
  CHECK(sms::parse_iso8601(j["tokenExpires"].get<std::string>()) > std::chrono::system_clock::now());

  auto table = fakes::run({"--config", s.dir.file("config.json"), "status", "--url", url});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("status          ready") != std::string::npos);
  CHECK(table.out.find("dead letters    1 (infinity-sms outbox list --state dead)") != std::string::npos);
  CHECK(table.out.find("opt-outs        0 (infinity-sms optout list)") != std::string::npos);
  CHECK(table.out.find(kAdminToken) == std::string::npos);

  // The admin port from the configuration is used when --url is not given.
  auto cfg = json::parse(std::ifstream(s.dir.file("config.json")));
  cfg["server"]["adminPort"] = s.admin_port;
  std::ofstream(s.dir.file("status.json")) << cfg.dump();
  CHECK(fakes::run({"--config", s.dir.file("status.json"), "status"}).exit_code == 0);

  auto wrong_token = fakes::run({"status", "--url", url}, {{"HOME", s.dir.path()}});
  CHECK(wrong_token.exit_code == 1);
  CHECK(wrong_token.err.find("refused server.adminToken") != std::string::npos);
  s.child->signal(SIGTERM);
  REQUIRE(s.child->wait(10s) == 0);
  auto down = fakes::run({"--config", s.dir.file("config.json"), "status", "--url", url});
  CHECK(down.exit_code == 1);
  CHECK(down.err.find("is serve running") != std::string::npos);
}

TEST_CASE("JSON logs follow one message end to end, with numbers and text redacted", "[serve][logs]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf), {}, true, {"--log-format", "json"});
  const std::string sid = "SM0000000000000000000000000000abcd";
  REQUIRE(s.post_twilio("/callbacks/twilio/sms", real_inbound(sid), tw.auth_token())->status == 200);
  // Twilio's first answer names the end user's number: the retry's warning shows it redacted.
  tw.fail_with_code(500, 20500, "Internal error sending to +14155550199");
  REQUIRE(s.post_infinity(agent_event("ev-logs", inf.connector_id(), "Private reply text").dump())->status == 200);
  REQUIRE(s.wait_state(sms::store::State::sent, 2));
  s.child->signal(SIGTERM);
  REQUIRE(s.child->wait(10s) == 0);

  std::istringstream log(s.child->output());
  std::vector<json> lines;
  for (std::string line; std::getline(log, line);) {
    if (line.find("listening on ") != std::string::npos) continue;  // the plain start-up lines
    auto j = json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE(j.is_object());  // every log line is one JSON object
    CHECK(j.contains("time"));
    CHECK(j.contains("level"));
    lines.push_back(j);
  }
  auto about = [&](const std::string& key, const std::string& value) {
    std::vector<json> out;
    for (const auto& j : lines)
      if (j.value(key, "") == value) out.push_back(j);
    return out;
  };
  auto inbound = about("messageSid", sid);
  bool webhook = false, delivered = false;
  for (const auto& j : inbound) {
    webhook = webhook || (j.contains("requestId") && j["msg"].get<std::string>().find("stored") != std::string::npos);
    delivered = delivered || (j.contains("outboxId") && j["msg"].get<std::string>().find("delivered") != std::string::npos);
  }
  CHECK(webhook);
  CHECK(delivered);
  auto outbound = about("eventId", "ev-logs");
  REQUIRE(outbound.size() >= 2);
  bool twilio_sid = false;  // the delivery line carries Twilio's SID for the message
  for (const auto& j : outbound) twilio_sid = twilio_sid || j.value("providerId", "").rfind("SM", 0) == 0;
  CHECK(twilio_sid);
  CHECK(outbound.front().value("conversationSessionId", "") == "028d0109148d0c42be45266207");
  CHECK(about("from", "***0199").size() >= 1);
  bool retry_redacted = false;
  for (const auto& j : outbound) retry_redacted = retry_redacted || j["msg"].get<std::string>().find("sending to ***0199") != std::string::npos;
  CHECK(retry_redacted);

  const auto all = s.child->output();
  CHECK(all.find("+14155550199") == std::string::npos);  // the end user's number
  CHECK(all.find("Private reply text") == std::string::npos);
  CHECK(all.find("friends") == std::string::npos);  // the inbound text (logged at debug, as its length)
}
