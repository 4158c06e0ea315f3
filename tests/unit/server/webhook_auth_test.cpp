#include <catch2/catch.hpp>

#include "core/config.h"
#include "core/crypto.h"
#include "infinity/signature.h"
#include "server/webhook_auth.h"
#include "twilio/signature.h"

using namespace sms;
using namespace sms::server;

namespace {
config::Config with(const nlohmann::json& patch) {
  config::Config base;
  auto tree = base.tree();
  config::merge_into(tree, patch);
  return config::Config(tree);
}

Request twilio_request(const std::string& target, const form::Fields& fields) {
  Request r;
  r.method = "POST";
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  r.headers.emplace("Host", "127.0.0.1:8081");
  r.body = form::encode(fields);
  return r;
}
}  // namespace

TEST_CASE("the signed URL comes from publicUrl, else the request, else trusted proxy headers") {
  auto r = twilio_request("/callbacks/twilio/sms?x=1", {});
  r.headers.emplace("X-Forwarded-Proto", "https, http");
  r.headers.emplace("X-Forwarded-Host", "public.example.com");
  CHECK(twilio_signed_url(r, with({})) == "http://127.0.0.1:8081/callbacks/twilio/sms?x=1");
  CHECK(twilio_signed_url(r, with({{"server", {{"trustProxy", true}}}})) ==
        "https://public.example.com/callbacks/twilio/sms?x=1");
  CHECK(twilio_signed_url(r, with({{"server", {{"publicUrl", "https://sms.example.com/"}}}})) ==
        "https://sms.example.com/callbacks/twilio/sms?x=1");
}

TEST_CASE("Twilio webhooks: signed passes, missing 401, wrong 403, unsigned only when allowed") {
  form::Fields fields{{"From", "+1"}, {"Body", "hi"}};
  auto cfg = with({{"twilio", {{"account", {{"authToken", "tok"}}}}}});
  auto r = twilio_request("/callbacks/twilio/sms", fields);
  CHECK(check_twilio_signature(r, fields, cfg)->status == 401);
  r.headers.emplace("X-Twilio-Signature",
                    twilio::compute_signature("tok", "http://127.0.0.1:8081/callbacks/twilio/sms", fields));
  CHECK_FALSE(check_twilio_signature(r, fields, cfg).has_value());
  auto other = with({{"twilio", {{"account", {{"authToken", "other"}}}}}});
  CHECK(check_twilio_signature(r, fields, other)->status == 403);

  auto unsigned_request = twilio_request("/callbacks/twilio/sms", fields);
  // No token, not mock: refused (no silent downgrade).
  CHECK(check_twilio_signature(unsigned_request, fields, with({}))->status == 401);
  // Mock mode without a token, or an explicit opt-out: accepted.
  CHECK_FALSE(check_twilio_signature(unsigned_request, fields, with({{"twilio", {{"isMockMode", true}}}})).has_value());
  CHECK_FALSE(check_twilio_signature(unsigned_request, fields, with({{"twilio", {{"validateSignature", false}}}})).has_value());
  // Mock mode with a token still verifies.
  CHECK(check_twilio_signature(unsigned_request, fields, with({{"twilio", {{"isMockMode", true}, {"account", {{"authToken", "tok"}}}}}}))->status == 401);
}

TEST_CASE("Infinity webhooks: signature statuses and the unsigned policy") {
  Request r;
  r.body = R"({"eventType":"health_check"})";
  auto cfg = with({{"avaya", {{"webhookSecret", "s3cret"}}}});
  CHECK(check_infinity_signature(r, cfg)->status == 401);
  r.headers.emplace("x-avaya-event-signature", infinity::compute_signature("s3cret", r.body));
  CHECK_FALSE(check_infinity_signature(r, cfg).has_value());
  CHECK(check_infinity_signature(r, with({{"avaya", {{"webhookSecret", "other"}}}}))->status == 403);

  Request unsigned_request;
  unsigned_request.body = r.body;
  CHECK(check_infinity_signature(unsigned_request, with({}))->status == 401);
  CHECK_FALSE(check_infinity_signature(unsigned_request, with({{"avaya", {{"isMockMode", true}}}})).has_value());
  CHECK_FALSE(check_infinity_signature(unsigned_request, with({{"avaya", {{"allowUnsignedWebhooks", true}}}})).has_value());
  CHECK(unsigned_webhook_warnings(with({{"avaya", {{"allowUnsignedWebhooks", true}}}})).size() == 1);
  CHECK(unsigned_webhook_warnings(with({})).empty());
}

TEST_CASE("admin token: bearer, constant-time, never without a configured token") {
  Request r;
  CHECK(check_admin_token(r, with({{"server", {{"adminToken", "t0ken"}}}}))->status == 401);
  r.headers.emplace("Authorization", "Bearer t0ken");
  CHECK_FALSE(check_admin_token(r, with({{"server", {{"adminToken", "t0ken"}}}})).has_value());
  CHECK(check_admin_token(r, with({{"server", {{"adminToken", "t0ke"}}}}))->status == 401);
  Request empty;
  empty.headers.emplace("Authorization", "Bearer ");
  CHECK(check_admin_token(empty, with({}))->status == 401);
}
