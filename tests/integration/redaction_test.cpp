// Redaction: the whole flow at debug log level with distinctive secrets, then a search for every
// secret in everything serve logged, every API response and every CLI output and error.
#include <sys/stat.h>

#include <csignal>

#include "serve_fixture.h"

using namespace itest;

TEST_CASE("no secret appears in logs, API responses or error messages", "[serve][security][redaction]") {
  const std::string auth_token = "twAUTHtok-5e1b7c9d2f";
  const std::string api_key_secret = "twKEYsecret-8a4f0c6e1d";
  const std::string previous_token = "twPREVtok-3c7e9a1b5d";
  const std::string client_secret = "infCLIENTsec-7d2b4f8a6c";
  const std::string webhook_secret = "infWHsec-1f9d3b7e5a";
  const std::string previous_webhook = "infPREVwh-6b8d2f4a0c";
  const std::string admin_token = "adminTOKEN-4a6c8e0b2d";
  const std::string new_webhook_secret = "infNEWwh-9c1e3a5b7d";

  fakes::FakeTwilio tw("AC00000000000000000000000000000001", auth_token, "SK00000000000000000000000000000001",
                       api_key_secret);
  fakes::FakeInfinity inf("client-id-1", client_secret);
  auto cfg = fake_config(tw, inf);
  cfg["twilio"]["apiKey"] = {{"sid", "SK00000000000000000000000000000001"}, {"secret", api_key_secret}};
  cfg["twilio"]["account"]["previousAuthToken"] = previous_token;
  cfg["avaya"]["webhookSecret"] = webhook_secret;
  cfg["avaya"]["previousWebhookSecret"] = previous_webhook;
  cfg["server"]["adminToken"] = admin_token;
  Serve s(cfg);  // runs with --log-level debug

  std::vector<std::string> seen;  // every response body and CLI output, searched at the end
  auto keep = [&](const httplib::Result& r) {
    REQUIRE(r);
    seen.push_back(r->body);
    for (const auto& [k, v] : r->headers) seen.push_back(k + ": " + v);
    return r->status;
  };
  auto post_event = [&](const json& e, const std::string& secret) {
    auto body = e.dump();
    return s.client->Post("/callbacks/avaya/infinity/sms",
                          {{"x-avaya-event-signature", sms::infinity::compute_signature(secret, body)}}, body,
                          "application/json");
  };

  // Both directions, a token refresh after a revoked token, a permanent Twilio error, bad signatures.
  CHECK(keep(s.post_twilio("/callbacks/twilio/sms", real_inbound("SM00000000000000000000000000000001"), auth_token)) == 200);
  CHECK(keep(post_event(agent_event("ev-1", inf.connector_id()), webhook_secret)) == 200);
  REQUIRE(inf.wait_for(1, 5s, "/api/digital"));
  REQUIRE(tw.wait_for(1, 5s, "/2010-04-01"));
  inf.revoke_tokens();
  CHECK(keep(s.post_twilio("/callbacks/twilio/sms", real_inbound("SM00000000000000000000000000000002"), previous_token)) == 200);
  REQUIRE(inf.wait_for(3, 5s, "/api/digital"));  // one 401, then the retry with a fresh token
  tw.fail_with_code(400, 21211, "Invalid 'To' Phone Number");
  CHECK(keep(post_event(agent_event("ev-2", inf.connector_id()), previous_webhook)) == 200);
  CHECK(s.wait_state(sms::store::State::dead, 1));
  CHECK(keep(s.post_twilio("/callbacks/twilio/sms", real_inbound(), "wrong-token")) == 403);
  CHECK(keep(post_event(agent_event("ev-3", inf.connector_id()), "wrong-secret")) == 403);

  // The admin plane: reads, a rejected and an accepted change, wrong tokens.
  CHECK(keep(s.admin_get("/api/configs", admin_token)) == 200);
  CHECK(keep(s.admin_get("/api/configs", admin_token + "x")) == 401);
  CHECK(keep(s.admin_post("/api/configs", {{"avaya", {{"clientSecret", 42}}}}, admin_token)) == 400);
  CHECK(keep(s.admin_post("/api/configs", {{"avaya", {{"webhookSecret", new_webhook_secret}}}}, admin_token)) == 200);
  CHECK(keep(s.client->Get("/api/ready")) == 200);
  CHECK(keep(s.admin->Get("/api/ready")) == 200);
  CHECK(keep(s.client->Get("/api/health")) == 200);

  // The CLI on the same configuration: show, outbox, sign, simulate, token, send-sms.
  const std::map<std::string, std::string> env = {};
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", s.dir.file("config.json"), "--log-level", "debug"});
    auto r = fakes::run(args, env);
    seen.push_back(r.out);
    seen.push_back(r.err);
    return r;
  };
  CHECK(cli({"config", "show"}).exit_code == 0);
  CHECK(cli({"config", "show", "--json"}).exit_code == 0);
  CHECK(cli({"config", "set", "avaya.clientSecret"}).exit_code == 2);
  CHECK(cli({"outbox", "list", "--json", "--data-dir", s.dir.file("data")}).exit_code == 0);
  CHECK(cli({"outbox", "show", "1", "--data-dir", s.dir.file("data")}).exit_code == 0);
  CHECK(cli({"outbox", "show", "2", "--data-dir", s.dir.file("data")}).exit_code == 0);
  CHECK(cli({"sign-webhook", "infinity", "--event", "health_check"}).exit_code == 0);
  CHECK(cli({"simulate-inbound", "--from", "+15551230001", "--to", "+15559870002", "--body", "hi", "--url",
             s.base() + "/callbacks/twilio/sms"}).exit_code == 0);
  CHECK(cli({"send-sms", "--from", "+15559870002", "--to", "+15551230001", "--body", "hello"}).exit_code == 0);
  auto token = cli({"token"});
  CHECK(token.exit_code == 0);
  seen.pop_back();  // `token` prints an access token on purpose: keep only its stderr
  seen.pop_back();
  seen.push_back(token.err);

  s.child->signal(SIGTERM);
  CHECK(s.child->wait(10s) == 0);
  const auto log = s.child->output();
  REQUIRE(log.find(" debug ") != std::string::npos);  // debug lines were really written
  REQUIRE(log.find("audit: configuration changed") != std::string::npos);

  std::vector<std::string> secrets = {auth_token,   api_key_secret,  previous_token, client_secret,
                                      webhook_secret, previous_webhook, admin_token,  new_webhook_secret};
  for (const auto& t : inf.tokens()) secrets.push_back(t);
  REQUIRE(secrets.size() >= 10);
  for (const auto& secret : secrets) {
    INFO("secret " << secret);
    CHECK(log.find(secret) == std::string::npos);
    for (const auto& text : seen) CHECK(text.find(secret) == std::string::npos);
  }

  // The file holding them is private to its owner.
  struct stat st {};
  REQUIRE(::stat(s.dir.file("config.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}
