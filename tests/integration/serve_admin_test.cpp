// serve: health, readiness, the config API, routing errors, mock mode and shutdown.
#include <csignal>

#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

TEST_CASE("health answers the sample's shape", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto r = s.client->Get("/api/health");
  REQUIRE(r);
  CHECK(r->status == 200);
  auto j = json::parse(r->body);
  CHECK(j["status"] == "healthy");
  CHECK(j["service"] == "infinity-sms");
  CHECK(j["version"] == INFINITY_SMS_VERSION);
  CHECK(j["timestamp"].get<std::string>().back() == 'Z');
  CHECK_FALSE(r->get_header_value("X-Request-Id").empty());
}

TEST_CASE("a client's X-Request-Id is kept when safe and replaced when not", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto safe = s.client->Get("/api/health", {{"X-Request-Id", "lb-trace-42"}});
  REQUIRE(safe);
  CHECK(safe->get_header_value("X-Request-Id") == "lb-trace-42");
  // Spaces and '=' would forge key=value fields in the text log.
  auto unsafe = s.client->Get("/api/health", {{"X-Request-Id", "abc forged=1"}});
  REQUIRE(unsafe);
  auto id = unsafe->get_header_value("X-Request-Id");
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  REQUIRE(s.child->wait_for_line("id=" + id, 5s));
  CHECK(s.child->output().find("forged=1") == std::string::npos);
  CHECK(s.child->output().find("id=lb-trace-42 ") != std::string::npos);
}

TEST_CASE("ready reflects configuration and token", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  SECTION("configured") {
    Serve s(fake_config(tw, inf));
    auto r = s.client->Get("/api/ready");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(json::parse(r->body)["status"] == "ready");
    CHECK(inf.tokens_issued() >= 1);
  }
  SECTION("bad client secret") {
    auto cfg = fake_config(tw, inf);
    cfg["avaya"]["clientSecret"] = "wrong";
    Serve s(cfg);
    auto r = s.client->Get("/api/ready");
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(r->body.find("invalid_client") != std::string::npos);
    CHECK(r->body.find("wrong") == std::string::npos);  // never echo a secret
  }
  SECTION("no avaya.host and no mock mode: not ready, messages stay queued") {
    auto cfg = fake_config(tw, inf);
    cfg["avaya"]["host"] = "";
    Serve s(cfg);
    auto r = s.client->Get("/api/ready");
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(r->body.find("avaya.host") != std::string::npos);
    auto in = s.post_twilio("/callbacks/twilio/sms", real_inbound(), tw.auth_token());
    REQUIRE(in);
    CHECK(in->status == 200);
    std::this_thread::sleep_for(300ms);
    auto c = s.store()->counts();
    REQUIRE(c);
    CHECK((*c)[State::queued] == 1);
    CHECK(inf.count("/api/digital") == 0);
  }
}

TEST_CASE("the config API needs the admin token, masks, validates and applies live", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  fakes::FakeInfinity inf2;
  Serve s(fake_config(tw, inf));

  auto anon = s.admin->Get("/api/configs");
  REQUIRE(anon);
  CHECK(anon->status == 401);
  CHECK(anon->get_header_value("WWW-Authenticate") == "Bearer");
  // The webhook listener does not serve the admin plane at all, token or not.
  auto on_public = s.client->Get("/api/configs", {{"Authorization", std::string("Bearer ") + kAdminToken}});
  REQUIRE(on_public);
  CHECK(on_public->status == 404);
  auto post_public = s.client->Post("/api/configs", {{"Authorization", std::string("Bearer ") + kAdminToken}},
                                    R"({"avaya":{"host":"https://evil.example.com"}})", "application/json");
  REQUIRE(post_public);
  CHECK(post_public->status == 404);
  // The admin listener answers health and readiness too (for local checks).
  auto admin_health = s.admin->Get("/api/health");
  REQUIRE(admin_health);
  CHECK(admin_health->status == 200);
  auto wrong = s.admin_get("/api/configs", "nope");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);

  auto got = s.admin_get("/api/configs");
  REQUIRE(got);
  REQUIRE(got->status == 200);
  auto j = json::parse(got->body);
  CHECK(j["success"] == true);
  CHECK(j["config"]["avaya"]["clientSecret"] == "cli***-1");
  CHECK(j["config"]["avaya"]["host"] == inf.url());
  CHECK(got->body.find(kWebhookSecret) == std::string::npos);
  CHECK(got->body.find(kAdminToken) == std::string::npos);

  auto bad = s.admin_post("/api/configs", {{"server", {{"port", "eighty"}}}, {"avaya", {{"hots", "x"}}}});
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json::parse(bad->body)["error"]["details"].size() == 2);

  // Posting the masked config back changes nothing; a new host takes effect on the next message.
  auto echo = j["config"];
  echo["avaya"]["host"] = inf2.url();
  echo["avaya"]["clientId"] = inf2.client_id();
  auto posted = s.admin_post("/api/configs", echo);
  REQUIRE(posted);
  REQUIRE(posted->status == 200);
  std::ifstream file(s.dir.file("config.json"));
  auto saved = json::parse(file);
  CHECK(saved["avaya"]["host"] == inf2.url());
  CHECK(saved["avaya"]["clientSecret"] == inf.client_secret());  // not replaced by its mask
  CHECK(saved["twilio"]["account"]["authToken"] == tw.auth_token());

  auto in = s.post_twilio("/callbacks/twilio/sms", real_inbound(), tw.auth_token());
  REQUIRE(in);
  CHECK(in->status == 200);
  REQUIRE(inf2.wait_for(1, 5s, "/api/digital"));
  CHECK(inf.count("/api/digital") == 0);
  auto audit = s.child->wait_for_line("audit: configuration changed", 2s);
  REQUIRE(audit);
  CHECK(audit->find("avaya.host") != std::string::npos);
  CHECK(audit->find("127.0.0.1") != std::string::npos);  // the source address
  CHECK(audit->find(inf2.url()) == std::string::npos);   // keys, never values
}

TEST_CASE("the config API says where each value comes from, as config show does", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  cfg["tenants"] = {{"acme", fakes::upstream_config(tw, inf, "acme-webhook-secret")}};
  cfg["tenants"]["acme"]["numbers"] = {"+15550142"};
  cfg["tenants"]["acme"]["avaya"]["connectorId"] = "acme-connector";
  Serve s(cfg, {{"AVAYA_INFINITY_ACCOUNT_ID", "from-the-environment"}});

  auto sources = [&] {
    auto got = s.admin_get("/api/configs");
    REQUIRE(got);
    REQUIRE(got->status == 200);
    return json::parse(got->body)["sources"];
  };
  auto before = sources();
  CHECK(before["avaya.accountId"] == "environment AVAYA_INFINITY_ACCOUNT_ID");
  CHECK(before["avaya.host"] == "file");
  CHECK(before["relay.maxMediaBytes"] == "default");
  CHECK(before["tenants.acme.numbers"] == "file");
  CHECK(before["tenants.acme.pacing.unit"] == "default");
  CHECK(before["server.port"] == "flag");  // serve --port
  // The same words as config show's "# origin", for every key it lists (config show has no flags).
  auto shown = fakes::run({"--config", s.dir.file("config.json"), "config", "show"},
                          {{"AVAYA_INFINITY_ACCOUNT_ID", "from-the-environment"}});
  REQUIRE(shown.exit_code == 0);
  auto listed = "\n" + shown.out;
  for (const auto& [key, origin] : before.items()) {
    if (origin == "flag") continue;
    auto at = listed.find("\n" + key + " = ");
    REQUIRE(at != std::string::npos);
    auto line = listed.substr(at + 1, listed.find('\n', at + 1) - at - 1);
    INFO(line);
    CHECK(line.ends_with("  # " + origin.get<std::string>()));
  }

  auto posted = s.admin_post("/api/configs", {{"relay", {{"maxMediaBytes", 1000000}}}, {"avaya", {{"accountId", "from-the-file"}}}});
  REQUIRE(posted);
  REQUIRE(posted->status == 200);
  auto after = json::parse(posted->body)["sources"];
  CHECK(after["relay.maxMediaBytes"] == "file");
  CHECK(after["avaya.accountId"] == "environment AVAYA_INFINITY_ACCOUNT_ID");  // saved, but the environment wins
  CHECK(sources() == after);
}

TEST_CASE("serve generates an admin token at first start", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  cfg["server"].erase("adminToken");
  Serve s(cfg);
  std::ifstream file(s.dir.file("config.json"));
  auto saved = json::parse(file);
  auto token = saved["server"]["adminToken"].get<std::string>();
  CHECK(token.size() >= 32);
  CHECK(s.child->output().find(token) == std::string::npos);
  auto shown = fakes::run({"--config", s.dir.file("config.json"), "config", "show", "--reveal"});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find(token) != std::string::npos);
  auto r = s.admin_get("/api/configs", token);
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("unknown paths, wrong methods and oversized bodies get JSON errors", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto nf = s.client->Get("/nope");
  REQUIRE(nf);
  CHECK(nf->status == 404);
  CHECK(json::parse(nf->body)["error"]["code"] == "not_found");
  auto wm = s.client->Get("/callbacks/twilio/sms");
  REQUIRE(wm);
  CHECK(wm->status == 405);
  CHECK(wm->get_header_value("Allow") == "POST");
  CHECK(json::parse(wm->body)["error"]["code"] == "method_not_allowed");
  auto big = s.client->Post("/callbacks/avaya/infinity/sms", std::string(70000, 'x'), "application/json");
  REQUIRE(big);
  CHECK(big->status == 413);
  CHECK(json::parse(big->body)["error"]["code"] == "payload_too_large");
  auto health = s.client->Get("/api/health");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("mock mode records what would have been sent", "[serve][mock]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  json cfg = {{"server", {{"adminToken", kAdminToken}}}};
  Serve s(cfg, {{"ENV", "mock_all"}});
  auto ready = s.client->Get("/api/ready");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  CHECK(json::parse(ready->body)["warnings"].size() == 2);

  auto in = s.post_twilio("/callbacks/twilio/sms", real_inbound(), "");
  REQUIRE(in);
  CHECK(in->status == 200);
  auto out = s.post_infinity(agent_event("ev-mock", "").dump(), "");
  REQUIRE(out);
  CHECK(out->status == 200);
  REQUIRE(s.wait_state(State::sent, 2));
  auto list = s.store()->list(State::sent, 10);
  REQUIRE(list);
  for (auto& m : *list) CHECK(m.provider_id == "mock");
  CHECK(s.child->wait_for_line("sent to Infinity (mock)", 2s));
  CHECK(s.child->wait_for_line("sent to Twilio (mock)", 2s));
  CHECK(tw.requests().empty());
  CHECK(inf.requests().empty());
}

TEST_CASE("SIGTERM stops serve cleanly", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  s.child->signal(SIGTERM);
  auto code = s.child->wait(10s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("SIGTERM lets the delivery in hand finish and keeps the rest queued", "[serve][admin]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  cfg["relay"]["upstreamTimeout"] = "5s";
  cfg["relay"]["concurrency"] = 1;
  fakes::Failure slow;
  slow.kind = fakes::Failure::Kind::timeout;
  slow.delay = 800ms;  // then 504
  slow.path_prefix = "/api/digital";
  inf.inject(slow);
  Serve s(cfg);
  auto r = s.post_twilio("/callbacks/twilio/sms", real_inbound(), tw.auth_token());
  REQUIRE(r);
  REQUIRE(inf.wait_for(1, 5s, "/api/digital"));
  auto started = std::chrono::steady_clock::now();
  s.child->signal(SIGTERM);
  auto code = s.child->wait(10s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(std::chrono::steady_clock::now() - started >= 500ms);  // it waited for the answer
  auto m = s.store()->list(std::nullopt, 1)->at(0);
  CHECK(m.state == State::queued);  // the 504 was recorded as a retry, not left in flight
  CHECK(m.attempts == 1);
}
