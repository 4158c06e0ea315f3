// The bad-input table: malformed requests against a running serve. Each gets its documented 4xx
// with a JSON error code, nothing is stored or sent, and /api/health answers throughout.
#include "serve_fixture.h"

using namespace itest;

namespace {

constexpr const char* kInfinity = "/callbacks/avaya/infinity/sms";
constexpr const char* kTwilio = "/callbacks/twilio/sms";
constexpr const char* kStatus = "/callbacks/twilio/status";
constexpr const char* kJson = "application/json";
constexpr const char* kForm = "application/x-www-form-urlencoded";

struct Case {
  std::string name;
  std::string method;
  std::string path;
  std::string content_type;
  std::string body;
  httplib::Headers headers;
  int status;
  std::string code;
  bool admin = false;  // sent to the admin listener (with the admin token unless headers say otherwise)
};

std::string infinity_sig(const std::string& body, const std::string& secret = kWebhookSecret) {
  return sms::infinity::compute_signature(secret, body);
}

httplib::Headers signed_event(const std::string& body) { return {{"x-avaya-event-signature", infinity_sig(body)}}; }

// A valid agent message with one field replaced by raw JSON text.
std::string event_with(const std::string& field, const std::string& raw, const std::string& connector) {
  auto j = agent_event("ev-bad", connector);
  std::string marker = "\"__REPLACE__\"";
  j[field] = "__REPLACE__";
  auto text = j.dump();
  return text.replace(text.find(marker), marker.size(), raw);
}

}  // namespace

TEST_CASE("the bad-input table: 70+ malformed requests, each refused, nothing stored or sent", "[serve][security][badinput]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  const auto connector = inf.connector_id();
  const auto twilio_url = s.base() + kTwilio;
  auto twilio_headers = [&](const sms::form::Fields& f, const std::string& url, const std::string& token) {
    return httplib::Headers{{"X-Twilio-Signature", sms::twilio::compute_signature(token, url, f)}};
  };
  auto signed_form = [&](const sms::form::Fields& f) { return twilio_headers(f, twilio_url, tw.auth_token()); };
  auto without = [](sms::form::Fields f, const std::string& name) {
    std::erase_if(f, [&](const auto& kv) { return kv.first == name; });
    return f;
  };
  auto with = [](sms::form::Fields f, const std::string& name, const std::string& value) {
    for (auto& kv : f)
      if (kv.first == name) kv.second = value;
    return f;
  };
  const auto good_event = agent_event("ev-good", connector).dump();
  const auto good_form = real_inbound();
  const auto deep = std::string(32000, '[') + std::string(32000, ']');  // within server.maxBodyBytes
  auto form_case = [&](std::string name, const sms::form::Fields& f, int status, std::string code) {
    return Case{std::move(name), "POST", kTwilio, kForm, sms::form::encode(f), signed_form(f), status, std::move(code)};
  };
  auto event_case = [&](std::string name, const std::string& body, int status, std::string code) {
    return Case{std::move(name), "POST", kInfinity, kJson, body, signed_event(body), status, std::move(code)};
  };
  const httplib::Headers admin_auth{{"Authorization", std::string("Bearer ") + kAdminToken}};
  auto admin_case = [&](std::string name, const std::string& body, int status, std::string code) {
    return Case{std::move(name), "POST", "/api/configs", kJson, body, admin_auth, status, std::move(code), true};
  };

  std::vector<Case> cases = {
      // Infinity webhook: content types.
      {"infinity: text/plain", "POST", kInfinity, "text/plain", good_event, signed_event(good_event), 415, "unsupported_media_type"},
      {"infinity: form content type", "POST", kInfinity, kForm, good_event, signed_event(good_event), 415, "unsupported_media_type"},
      {"infinity: no content type", "POST", kInfinity, "", good_event, signed_event(good_event), 415, "unsupported_media_type"},
      // Infinity webhook: signatures.
      {"infinity: no signature", "POST", kInfinity, kJson, good_event, {}, 401, "signature_missing"},
      {"infinity: sha1= signature", "POST", kInfinity, kJson, good_event, {{"x-avaya-event-signature", "sha1=abc"}}, 401, "signature_malformed"},
      {"infinity: empty digest", "POST", kInfinity, kJson, good_event, {{"x-avaya-event-signature", "sha256="}}, 401, "signature_malformed"},
      {"infinity: signed with another secret", "POST", kInfinity, kJson, good_event,
       {{"x-avaya-event-signature", infinity_sig(good_event, "not-the-secret")}}, 403, "signature_mismatch"},
      {"infinity: signature of another body", "POST", kInfinity, kJson, good_event,
       {{"x-avaya-event-signature", infinity_sig(agent_event("ev-other", connector).dump())}}, 403, "signature_mismatch"},
      {"infinity: deep nesting, wrong signature", "POST", kInfinity, kJson, deep,
       {{"x-avaya-event-signature", infinity_sig("x")}}, 403, "signature_mismatch"},
      // Infinity webhook: signed but malformed bodies.
      event_case("infinity: empty body", "", 400, "invalid_event"),
      event_case("infinity: truncated JSON", good_event.substr(0, good_event.size() / 2), 400, "invalid_event"),
      event_case("infinity: not JSON", "{eventType: messages}", 400, "invalid_event"),
      event_case("infinity: invalid UTF-8", event_with("eventId", "\"ev-\xff\xfe\"", connector), 400, "invalid_event"),
      event_case("infinity: JSON array", "[]", 400, "invalid_event"),
      event_case("infinity: JSON string", "\"messages\"", 400, "invalid_event"),
      event_case("infinity: null", "null", 400, "invalid_event"),
      event_case("infinity: deep nesting, signed", deep, 400, "invalid_event"),
      event_case("infinity: duplicate eventType", "{\"eventType\":\"health_check\",\"eventType\":\"messages\"}", 400, "invalid_event"),
      event_case("infinity: eventType number", event_with("eventType", "7", connector), 400, "invalid_event"),
      event_case("infinity: eventType null", event_with("eventType", "null", connector), 400, "invalid_event"),
      event_case("infinity: eventId number", event_with("eventId", "12345", connector), 400, "invalid_event"),
      event_case("infinity: headers.to a string", event_with("headers", "{\"from\":\"+14155550100\",\"to\":\"+1415\"}", connector), 400, "invalid_event"),
      event_case("infinity: headers.to empty", event_with("headers", "{\"from\":\"+14155550100\",\"to\":[]}", connector), 400, "invalid_event"),
      event_case("infinity: headers.from null", event_with("headers", "{\"from\":null,\"to\":[\"+1415\"]}", connector), 400, "invalid_event"),
      event_case("infinity: huge phone number", event_with("headers", "{\"from\":\"+1\",\"to\":[\"+" + std::string(5000, '1') + "\"]}", connector), 400, "invalid_event"),
      event_case("infinity: body.text number", event_with("body", "{\"text\":42}", connector), 400, "invalid_event"),
      event_case("infinity: body missing", event_with("body", "null", connector), 400, "invalid_event"),
      event_case("infinity: attachmentIds a string", event_with("attachmentIds", "\"att-1\"", connector), 400, "invalid_event"),
      event_case("infinity: attachmentIds of numbers", event_with("attachmentIds", "[1,2]", connector), 400, "invalid_event"),
      event_case("infinity: attachment id over 50 bytes", event_with("attachmentIds", "[\"" + std::string(51, 'a') + "\"]", connector), 400, "invalid_event"),
      event_case("infinity: 11 attachmentIds", event_with("attachmentIds", "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]", connector), 400, "invalid_event"),
      event_case("infinity: another connector", agent_event("ev-x", "someone-else").dump(), 403, "wrong_connector"),
      {"infinity: GET", "GET", kInfinity, "", "", {}, 405, "method_not_allowed"},
      {"infinity: PUT", "PUT", kInfinity, kJson, good_event, signed_event(good_event), 405, "method_not_allowed"},
      {"infinity: body over server.maxBodyBytes", "POST", kInfinity, kJson, std::string(70000, ' ') + good_event,
       signed_event(std::string(70000, ' ') + good_event), 413, "payload_too_large"},
      // Twilio webhook.
      {"twilio: JSON content type", "POST", kTwilio, kJson, "{\"From\":\"+1\"}", {}, 415, "unsupported_media_type"},
      {"twilio: no signature", "POST", kTwilio, kForm, sms::form::encode(good_form), {}, 401, "signature_missing"},
      {"twilio: signed for another URL", "POST", kTwilio, kForm, sms::form::encode(good_form),
       twilio_headers(good_form, s.base() + kStatus, tw.auth_token()), 403, "signature_mismatch"},
      {"twilio: signed with another token", "POST", kTwilio, kForm, sms::form::encode(good_form),
       twilio_headers(good_form, twilio_url, "not-the-token"), 403, "signature_mismatch"},
      {"twilio: signature of another body", "POST", kTwilio, kForm, sms::form::encode(with(good_form, "Body", "changed")),
       signed_form(good_form), 403, "signature_mismatch"},
      form_case("twilio: no From", without(good_form, "From"), 400, "invalid_webhook"),
      form_case("twilio: no MessageSid", without(good_form, "MessageSid"), 400, "invalid_webhook"),
      form_case("twilio: empty Body, no media", with(good_form, "Body", ""), 400, "invalid_webhook"),
      form_case("twilio: NumMedia not a number", with(good_form, "NumMedia", "many"), 400, "invalid_webhook"),
      form_case("twilio: invalid UTF-8 Body", with(good_form, "Body", "caf\xc3\x28"), 400, "invalid_webhook"),
      form_case("twilio: huge From", with(good_form, "From", "+" + std::string(10000, '1')), 400, "invalid_webhook"),
      form_case("twilio: garbage form", {{"%%%", "&&&"}, {"===", ""}}, 400, "invalid_webhook"),
      {"twilio: GET", "GET", kTwilio, "", "", {}, 405, "method_not_allowed"},
      {"twilio status: no signature", "POST", kStatus, kForm, "MessageSid=SM1&MessageStatus=sent", {}, 401, "signature_missing"},
      // Unknown paths and the admin plane on the public listener.
      {"unknown path", "POST", "/callbacks/unknown", kJson, "{}", {}, 404, "not_found"},
      {"admin API on the webhook listener", "GET", "/api/configs", "", "", admin_auth, 404, "not_found"},
      {"DELETE health", "DELETE", "/api/health", "", "", {}, 405, "method_not_allowed"},
      // Admin listener.
      {"admin: no token", "POST", "/api/configs", kJson, "{\"server\":{\"threads\":4}}", {}, 401, "unauthorized", true},
      {"admin: wrong token", "POST", "/api/configs", kJson, "{\"server\":{\"threads\":4}}",
       {{"Authorization", "Bearer nope"}}, 401, "unauthorized", true},
      admin_case("admin: truncated JSON", "{\"avaya\":{\"host\":", 400, "invalid_json"),
      admin_case("admin: JSON array", "[1,2]", 400, "invalid_json"),
      admin_case("admin: deep nesting", deep, 400, "invalid_json"),
      admin_case("admin: duplicate keys", "{\"avaya\":{\"host\":\"core.a.com\",\"host\":\"core.b.com\"}}", 400, "invalid_json"),
      admin_case("admin: null value", "{\"avaya\":{\"host\":null}}", 400, "invalid_config"),
      admin_case("admin: number for a string", "{\"avaya\":{\"clientSecret\":12345}}", 400, "invalid_config"),
      admin_case("admin: string for a number", "{\"server\":{\"threads\":\"many\"}}", 400, "invalid_config"),
      admin_case("admin: unknown key", "{\"avaya\":{\"hots\":\"x\"}}", 400, "invalid_config"),
      admin_case("admin: http host for credentials", "{\"avaya\":{\"host\":\"http://evil.example.com\"}}", 400, "invalid_config"),
      // The opt-out register.
      {"optouts on the webhook listener", "GET", "/api/optouts", "", "", admin_auth, 404, "not_found"},
      {"optouts: no token", "POST", "/api/optouts", kJson, "{\"businessNumber\":\"+15550001\",\"endUserNumber\":\"+15550002\"}", {},
       401, "unauthorized", true},
      {"optouts: not E.164", "POST", "/api/optouts", kJson, "{\"businessNumber\":\"5550001\",\"endUserNumber\":\"+15550002\"}",
       admin_auth, 400, "invalid_opt_out", true},
      {"optouts: one bad item of two", "POST", "/api/optouts", kJson,
       "[{\"businessNumber\":\"+15550001\",\"endUserNumber\":\"+15550002\"},{\"businessNumber\":\"+15550001\"}]", admin_auth, 400,
       "invalid_opt_out", true},
      {"optouts: CSV without its header", "POST", "/api/optouts", "text/csv", "+15550001,+15550002\n", admin_auth, 400, "invalid_csv", true},
      {"optouts: XML", "POST", "/api/optouts", "application/xml", "<optout/>", admin_auth, 415, "unsupported_media_type", true},
      {"optouts: DELETE without numbers", "DELETE", "/api/optouts", "", "", admin_auth, 400, "invalid_query", true},
      {"optouts: DELETE of a pair not registered", "DELETE", "/api/optouts?businessNumber=%2B15550001&endUserNumber=%2B15550002", "", "",
       admin_auth, 404, "opt_out_not_found", true},
      // The outbox (the operator's console).
      {"messages on the webhook listener", "GET", "/api/messages", "", "", admin_auth, 404, "not_found"},
      {"messages: no token", "GET", "/api/messages", "", "", {}, 401, "unauthorized", true},
      {"messages: unknown state", "GET", "/api/messages?state=lost", "", "", admin_auth, 400, "invalid_parameter", true},
      {"messages: limit over 500", "GET", "/api/messages?limit=501", "", "", admin_auth, 400, "invalid_parameter", true},
      {"messages: number not E.164", "GET", "/api/messages?number=5550001", "", "", admin_auth, 400, "invalid_parameter", true},
      {"messages: id not a number", "GET", "/api/messages/x1", "", "", admin_auth, 400, "invalid_parameter", true},
      {"messages: retry of an unknown id", "POST", "/api/messages/424242/retry", kJson, "", admin_auth, 404, "message_not_found", true},
  };
  REQUIRE(cases.size() == 78);  // docs/security.md (Testing) quotes this number

  const std::string config_before = [&] {
    std::ifstream f(s.dir.file("config.json"));
    return std::string(std::istreambuf_iterator<char>(f), {});
  }();
  for (const auto& c : cases) {
    INFO(c.name);
    auto& client = c.admin ? *s.admin : *s.client;
    httplib::Result r = c.method == "GET"      ? client.Get(c.path.c_str(), c.headers)
                        : c.method == "DELETE" ? client.Delete(c.path.c_str(), c.headers)
                        : c.method == "PUT"    ? client.Put(c.path.c_str(), c.headers, c.body, c.content_type.c_str())
                                               : client.Post(c.path.c_str(), c.headers, c.body, c.content_type.c_str());
    REQUIRE(r);
    CHECK(r->status == c.status);
    auto body = nlohmann::json::parse(r->body, nullptr, false);
    REQUIRE(body.is_object());
    CHECK(body["error"]["code"] == c.code);
    CHECK_FALSE(body["error"]["message"].get<std::string>().empty());
    CHECK(r->body.find(kWebhookSecret) == std::string::npos);
    auto health = s.client->Get("/api/health");
    REQUIRE(health);
    CHECK(health->status == 200);
  }

  // Nothing was stored, nothing reached either provider, the configuration is unchanged.
  std::this_thread::sleep_for(200ms);
  auto counts = s.store()->counts();
  REQUIRE(counts);
  for (const auto& [state, n] : *counts) CHECK(n == 0);
  CHECK(*s.store()->count_opt_outs() == 0);
  CHECK(tw.count("/2010-04-01") == 0);
  CHECK(inf.count("/api/digital") == 0);
  std::ifstream after(s.dir.file("config.json"));
  CHECK(std::string(std::istreambuf_iterator<char>(after), {}) == config_before);
  CHECK_FALSE(s.child->wait(0ms));  // still running
}
