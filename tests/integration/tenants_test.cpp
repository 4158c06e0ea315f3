// Tenants: one serve for several Twilio accounts and Infinity connectors. Each tenant's webhooks
// are verified with its own secrets, its inbound messages reach its own connector with its own
// token, its agents' replies go out with its own account, and one tenant's outage never holds up
// another's messages; on both store backends.
#include <set>

#include "fakes/test_database.h"
#include "serve_fixture.h"

using namespace itest;

namespace {

constexpr const char* kAcmeNumber = "+14155550300";
constexpr const char* kDefaultNumber = "+14155550100";
constexpr const char* kAcmeSecret = "whsec-acme-1";
constexpr const char* kAcmeConnector = "conn-acme-1";

// The default tenant on the first pair of fakes, tenant "acme" (kAcmeNumber) on the second:
// other account, token, client credentials, connector and webhook secret.
struct TwoTenants {
  fakes::FakeTwilio tw{"AC00000000000000000000000000000001", "twilio-token-default"};
  fakes::FakeInfinity inf{"client-id-default", "client-secret-default", "001d0106666c6888cc999c111c",
                          "a2a22a22-b66b-4444-a9a9-dd111d111d11"};
  fakes::FakeTwilio acme_tw{"AC00000000000000000000000000000002", "twilio-token-acme"};
  fakes::FakeInfinity acme_inf{"client-id-acme", "client-secret-acme", "002d0106666c6888cc999c222c", kAcmeConnector};

  json config() const {
    auto cfg = fake_config(tw, inf);
    auto acme = fakes::upstream_config(acme_tw, acme_inf, kAcmeSecret);
    acme["numbers"] = {kAcmeNumber};
    cfg["tenants"] = {{"acme", acme}};
    return cfg;
  }
};

sms::form::Fields inbound(const std::string& sid, const std::string& account, const std::string& to, const std::string& body,
                          const std::string& from = "+14155550199") {
  return {{"MessageSid", sid}, {"AccountSid", account}, {"From", from}, {"To", to}, {"Body", body}, {"NumMedia", "0"}};
}

std::string sid(int i) {
  char buf[35];
  std::snprintf(buf, sizeof buf, "SM%032x", i);
  return buf;
}

json reply(const std::string& event_id, const std::string& connector, const std::string& from, const std::string& text) {
  auto e = agent_event(event_id, connector, text);
  e["headers"]["from"] = from;
  return e;
}

// infinity-sms with serve's configuration file.
fakes::RunResult run_with(const Serve& s, std::vector<std::string> args) {
  args.insert(args.begin(), {"--config", s.dir.file("config.json")});
  return fakes::run(args);
}

std::string code_of(const httplib::Result& r) { return r ? json::parse(r->body)["error"].value("code", "") : "no answer"; }

// Both tenants' traffic both ways through one serve: each lands at its own fakes.
void check_each_tenant_uses_its_own_accounts(TwoTenants& t, Serve& s) {
  auto r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(1), t.tw.account_sid(), kDefaultNumber, "to default"), t.tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 200);
  r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(2), t.acme_tw.account_sid(), kAcmeNumber, "to acme"), t.acme_tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(t.inf.wait_for(1, 5s, "/api/digital"));
  REQUIRE(t.acme_inf.wait_for(1, 5s, "/api/digital"));
  // The fake Infinity accepts only tokens it issued itself: each tenant got its own.
  REQUIRE(t.inf.messages().size() == 1);
  REQUIRE(t.acme_inf.messages().size() == 1);
  CHECK(t.inf.messages()[0].message["body"]["text"] == "to default");
  CHECK(t.inf.messages()[0].message["connectorId"] == t.inf.connector_id());
  CHECK(t.acme_inf.messages()[0].message["body"]["text"] == "to acme");
  CHECK(t.acme_inf.messages()[0].message["connectorId"] == kAcmeConnector);
  CHECK(t.acme_inf.tokens_issued() >= 1);

  r = s.post_infinity(reply("ev-acme", kAcmeConnector, kAcmeNumber, "acme agent").dump(), kAcmeSecret);
  REQUIRE(r);
  CHECK(r->status == 200);
  r = s.post_infinity(reply("ev-default", t.inf.connector_id(), kDefaultNumber, "default agent").dump());
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(t.acme_tw.wait_for(1, 5s, "/2010-04-01"));
  REQUIRE(t.tw.wait_for(1, 5s, "/2010-04-01"));
  // The fake Twilio accepts only its own account's credentials, on its own account's path.
  REQUIRE(t.acme_tw.messages().size() == 1);
  CHECK(t.acme_tw.messages()[0].basic_user == t.acme_tw.account_sid());
  CHECK(t.acme_tw.messages()[0].form.find("Body")->second == "acme agent");
  REQUIRE(t.tw.messages().size() == 1);
  CHECK(t.tw.messages()[0].form.find("Body")->second == "default agent");
}

// Tenant acme's Infinity answers 503 for a long while: the default tenant's inbound messages
// still go out at once; acme's (five conversations, so its upstream counts as failing and is
// probed) wait, and go out in order once its Infinity answers again.
void check_one_tenants_outage_holds_up_no_other(TwoTenants& t, Serve& s) {
  fakes::Failure down;
  down.status = 503;
  down.until = std::chrono::steady_clock::now() + 60s;
  down.path_prefix = "/api/digital";
  t.acme_inf.inject(down);
  constexpr int kEach = 40;
  for (int i = 0; i < kEach; ++i) {
    auto r = s.post_twilio("/callbacks/twilio/sms",
                           inbound(sid(100 + i), t.acme_tw.account_sid(), kAcmeNumber, "acme-" + std::to_string(i),
                                   "+1415555020" + std::to_string(i % 5)),
                           t.acme_tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  auto before = t.inf.messages().size();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kEach; ++i) {
    auto r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(200 + i), t.tw.account_sid(), kDefaultNumber, "default-" + std::to_string(i)),
                           t.tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  REQUIRE(t.inf.wait_for(before + kEach, 10s, "/api/digital"));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  WARN("the default tenant's " << kEach << " inbound messages delivered in " << took.count() << " ms while acme's Infinity failed");
  CHECK(took < 5s);
  CHECK(t.acme_inf.messages().size() == 1);  // only the first test's; acme's new ones all wait
  // Each tenant's figures say whose messages wait, and why.
  auto status = json::parse(s.admin_get("/api/status")->body);
  INFO(status.dump(2));
  CHECK(status["upstreams"]["infinity"]["state"] == "failing");
  CHECK(status["tenants"]["acme"]["upstreams"]["infinity"]["state"] == "failing");
  CHECK(status["tenants"]["acme"]["upstreams"]["twilio"]["state"] == "healthy");
  CHECK(status["tenants"]["default"]["upstreams"]["infinity"]["state"] == "healthy");
  CHECK(status["tenants"]["acme"]["queue"]["queued"].get<int>() + status["tenants"]["acme"]["queue"]["sending"].get<int>() == kEach);
  CHECK(status["tenants"]["acme"]["oldestQueued"].is_string());
  CHECK(status["tenants"]["default"]["queue"]["queued"] == 0);
  CHECK(status["tenants"]["default"]["oldestQueued"].is_null());
  CHECK(status["tenants"]["acme"]["numbers"] == json({kAcmeNumber}));
  CHECK(status["tenants"]["acme"]["tokenExpires"].is_string());
  auto metrics = s.admin_get("/metrics")->body;
  CHECK(metrics.find("infinity_sms_tenant_upstream_failing_seconds{tenant=\"default\",upstream=\"infinity\"} 0\n") != std::string::npos);
  CHECK(metrics.find("infinity_sms_tenant_upstream_failing_seconds{tenant=\"acme\",upstream=\"infinity\"} 0\n") == std::string::npos);
  CHECK(metrics.find("infinity_sms_tenant_upstream_failing_seconds{tenant=\"acme\",upstream=\"infinity\"} ") != std::string::npos);
  CHECK(metrics.find("infinity_sms_tenant_queue_messages{state=\"queued\",tenant=\"default\"} 0\n") != std::string::npos);
  CHECK(metrics.find("infinity_sms_tenant_oldest_queued_age_seconds{tenant=\"acme\"} ") != std::string::npos);

  t.acme_inf.clear_failures();
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (t.acme_inf.messages().size() < 1 + kEach && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  auto got = t.acme_inf.messages();
  REQUIRE(got.size() == 1 + kEach);
  std::map<std::string, std::vector<int>> by_conversation;  // end user → message numbers in arrival order
  for (std::size_t k = 1; k < got.size(); ++k) {
    auto text = got[k].message["body"]["text"].get<std::string>();
    by_conversation[got[k].message["headers"]["from"]].push_back(std::stoi(text.substr(5)));
  }
  REQUIRE(by_conversation.size() == 5);
  for (const auto& [from, numbers] : by_conversation) {
    INFO(from);
    CHECK(std::is_sorted(numbers.begin(), numbers.end()));
    CHECK(numbers.size() == kEach / 5);  // each once
  }
}

}  // namespace

TEST_CASE("each tenant's webhooks use its own secrets, connector, token and account", "[serve][tenants]") {
  TwoTenants t;
  Serve s(t.config());
  check_each_tenant_uses_its_own_accounts(t, s);

  // GET /api/configs shows the tenant whole, its secrets masked.
  auto shown = s.admin_get("/api/configs");
  REQUIRE(shown);
  auto acme = json::parse(shown->body)["config"]["tenants"]["acme"];
  CHECK(acme["numbers"] == json({kAcmeNumber}));
  CHECK(acme["avaya"]["connectorId"] == kAcmeConnector);
  CHECK(acme["twilio"]["account"]["authToken"] == sms::config::mask(t.acme_tw.auth_token()));
  CHECK(shown->body.find(t.acme_tw.auth_token()) == std::string::npos);
  CHECK(shown->body.find(t.acme_inf.client_secret()) == std::string::npos);
  // config show too.
  auto listed = run_with(s, {"config", "show"});
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find("tenants.acme.twilio.account.authToken = \"" + sms::config::mask(t.acme_tw.auth_token()) + "\"  # file") !=
        std::string::npos);
  CHECK(listed.out.find("tenants.acme.numbers = ") != std::string::npos);
  for (const auto& secret : {t.acme_tw.auth_token(), t.acme_inf.client_secret(), std::string(kAcmeSecret)})
    CHECK(listed.out.find(secret) == std::string::npos);
}

TEST_CASE("webhooks for the wrong account, connector or tenant are refused, and nothing is sent", "[serve][tenants]") {
  TwoTenants t;
  Serve s(t.config());
  // acme's number, the default tenant's account (and signature).
  auto r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(1), t.tw.account_sid(), kAcmeNumber, "x"), t.tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(code_of(r) == "wrong_account");
  // acme's number and account, signed with the default tenant's token.
  r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(2), t.acme_tw.account_sid(), kAcmeNumber, "x"), t.tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(code_of(r) == "signature_mismatch");
  // A status callback is routed by its From (our number) in the same way.
  r = s.post_twilio("/callbacks/twilio/status",
                    {{"MessageSid", sid(3)}, {"MessageStatus", "delivered"}, {"AccountSid", t.tw.account_sid()}, {"From", kAcmeNumber},
                     {"To", "+14155550199"}},
                    t.tw.auth_token());
  REQUIRE(r);
  CHECK(code_of(r) == "wrong_account");

  // acme's connector signed with the default tenant's secret.
  r = s.post_infinity(reply("ev-1", kAcmeConnector, kAcmeNumber, "x").dump());
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(code_of(r) == "signature_mismatch");
  // An agent of acme sending from the default tenant's number.
  r = s.post_infinity(reply("ev-2", kAcmeConnector, kDefaultNumber, "x").dump(), kAcmeSecret);
  REQUIRE(r);
  CHECK(r->status == 422);
  CHECK(code_of(r) == "wrong_tenant");
  // A connector no tenant has.
  r = s.post_infinity(reply("ev-3", "conn-nobody", kDefaultNumber, "x").dump());
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(code_of(r) == "wrong_connector");

  std::this_thread::sleep_for(300ms);
  CHECK(t.tw.count("/2010-04-01") == 0);
  CHECK(t.acme_tw.count("/2010-04-01") == 0);
  CHECK(t.inf.count("/api/digital") == 0);
  CHECK(t.acme_inf.count("/api/digital") == 0);
}

TEST_CASE("with named tenants only, a number no tenant lists is refused", "[serve][tenants]") {
  TwoTenants t;
  auto cfg = t.config();
  cfg.erase("twilio");
  cfg.erase("avaya");
  Serve s(cfg);
  auto r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(1), t.tw.account_sid(), kDefaultNumber, "x"), t.tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(code_of(r) == "unknown_number");
  CHECK(r->body.find("is none of the tenants' numbers") != std::string::npos);
  r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(2), t.acme_tw.account_sid(), kAcmeNumber, "x"), t.acme_tw.auth_token());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(t.acme_inf.wait_for(1, 5s, "/api/digital"));
  auto status = json::parse(s.admin_get("/api/status")->body);
  CHECK(status["status"] == "ready");  // the unconfigured default tenant blocks nothing
}

TEST_CASE("one tenant's Infinity outage never delays another tenant's messages", "[serve][tenants]") {
  TwoTenants t;
  Serve s(t.config());
  check_each_tenant_uses_its_own_accounts(t, s);
  check_one_tenants_outage_holds_up_no_other(t, s);
}

TEST_CASE("one tenant's wrong Infinity credentials hold up only its own messages until they are fixed", "[serve][tenants]") {
  TwoTenants t;
  auto cfg = t.config();
  cfg["tenants"]["acme"]["avaya"]["clientSecret"] = "not-acme-s-secret";
  Serve s(cfg);
  constexpr int kAcme = 5, kDefault = 20;
  for (int i = 0; i < kAcme; ++i) {
    auto r = s.post_twilio("/callbacks/twilio/sms",
                           inbound(sid(10 + i), t.acme_tw.account_sid(), kAcmeNumber, "acme-" + std::to_string(i),
                                   "+1415555020" + std::to_string(i)),  // five conversations: its upstream counts as failing
                           t.acme_tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  for (int i = 0; i < kDefault; ++i) {
    auto r = s.post_twilio("/callbacks/twilio/sms", inbound(sid(100 + i), t.tw.account_sid(), kDefaultNumber, "default-" + std::to_string(i)),
                           t.tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  REQUIRE(t.inf.wait_for(kDefault, 5s, "/api/digital"));
  CHECK(t.acme_inf.count("/api/digital") == 0);
  CHECK(t.acme_inf.tokens_issued() == 0);
  auto status = json::parse(s.admin_get("/api/status")->body);
  INFO(status.dump(2));
  CHECK(status["tenants"]["acme"]["upstreams"]["infinity"]["state"] == "failing");
  CHECK(status["tenants"]["acme"]["deadLetters"] == 0);
  CHECK(status["tenants"]["acme"]["tokenError"].get<std::string>().find("Infinity rejected the client credentials") != std::string::npos);
  CHECK(status["tenants"]["acme"]["queue"]["queued"].get<int>() + status["tenants"]["acme"]["queue"]["sending"].get<int>() == kAcme);
  CHECK(status["tenants"]["default"]["upstreams"]["infinity"]["state"] == "healthy");
  CHECK(status.dump().find("not-acme-s-secret") == std::string::npos);

  // The right secret, set on the running serve: acme's messages go out.
  auto fixed = s.admin_post("/api/configs", {{"tenants", {{"acme", {{"avaya", {{"clientSecret", t.acme_inf.client_secret()}}}}}}}});
  REQUIRE(fixed);
  CHECK(fixed->status == 200);
  REQUIRE(t.acme_inf.wait_for(kAcme, 10s, "/api/digital"));
  std::set<std::string> texts;
  for (const auto& m : t.acme_inf.messages()) texts.insert(m.message["body"]["text"].get<std::string>());
  CHECK(texts == std::set<std::string>{"acme-0", "acme-1", "acme-2", "acme-3", "acme-4"});
}

TEST_CASE("outbox list, status and doctor show each tenant", "[serve][tenants]") {
  TwoTenants t;
  Serve s(t.config());
  check_each_tenant_uses_its_own_accounts(t, s);
  REQUIRE(s.wait_state(sms::store::State::sent, 4));
  auto with = [&](std::vector<std::string> args) { return run_with(s, std::move(args)); };
  auto listed = with({"outbox", "list", "--json", "--data-dir", s.dir.file("data")});
  REQUIRE(listed.exit_code == 0);
  std::map<std::string, int> by_tenant;
  for (const auto& m : json::parse(listed.out)) ++by_tenant[m["tenant"]];
  CHECK(by_tenant == std::map<std::string, int>{{"acme", 2}, {"default", 2}});
  auto table = with({"outbox", "list", "--data-dir", s.dir.file("data")});
  CHECK(table.out.find("TENANT") != std::string::npos);
  CHECK(table.out.find("acme ") != std::string::npos);

  auto status = with({"status", "--url", "http://127.0.0.1:" + std::to_string(s.admin_port)});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("tenant acme     queued 0, oldest -, dead 0, infinity healthy, twilio healthy, token expires 20") !=
        std::string::npos);
  CHECK(status.out.find("tenant default  queued 0") != std::string::npos);
  CHECK(status.out.find("tenant default") < status.out.find("tenant acme"));  // the default tenant first

  auto doctor = with({"doctor"});
  INFO(doctor.out);
  CHECK(doctor.out.find("tenant acme\n") != std::string::npos);
  CHECK(doctor.out.find("[ok]   Infinity token obtained from " + t.acme_inf.url()) != std::string::npos);
  CHECK(doctor.out.find("[ok]   Infinity token obtained from " + t.inf.url()) != std::string::npos);
  CHECK(doctor.out.find("Twilio account " + t.acme_tw.account_sid() + " is active") != std::string::npos);
  CHECK(doctor.out.find(t.acme_tw.auth_token()) == std::string::npos);
}

TEST_CASE("send-sms simulate-inbound sign-webhook and token act for the tenant --tenant names or else the number's", "[serve][tenants]") {
  TwoTenants t;
  Serve s(t.config());
  auto with = [&](std::vector<std::string> args) { return run_with(s, std::move(args)); };
  const std::string end_user = "+14155550199", url = "http://127.0.0.1:" + std::to_string(s.port);
  auto has = [](const std::vector<std::string>& tokens, std::string token) {
    token.erase(token.find_last_not_of('\n') + 1);
    return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
  };

  // token: each tenant's from its own Infinity.
  auto acme_token = with({"token", "--tenant", "acme"});
  REQUIRE(acme_token.exit_code == 0);
  CHECK(has(t.acme_inf.tokens(), acme_token.out));
  CHECK_FALSE(has(t.inf.tokens(), acme_token.out));
  auto default_token = with({"token"});
  REQUIRE(default_token.exit_code == 0);
  CHECK(has(t.inf.tokens(), default_token.out));

  // send-sms with acme's account: named, or as the number's tenant.
  auto sent = with({"send-sms", "--tenant", "acme", "--from", kAcmeNumber, "--to", end_user, "--body", "by flag"});
  CHECK(sent.exit_code == 0);
  auto inferred = with({"send-sms", "--from", kAcmeNumber, "--to", end_user, "--body", "by number"});
  CHECK(inferred.exit_code == 0);
  REQUIRE(t.acme_tw.messages().size() == 2);
  CHECK(t.acme_tw.messages()[0].basic_user == t.acme_tw.account_sid());
  CHECK(t.acme_tw.messages()[0].field("Body") == "by flag");
  CHECK(t.acme_tw.messages()[1].field("Body") == "by number");
  // Another tenant's number, or a tenant that does not exist: refused, nothing sent.
  auto wrong = with({"send-sms", "--tenant", "default", "--from", kAcmeNumber, "--to", end_user, "--body", "x"});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find(std::string("--from ") + kAcmeNumber + " is tenant acme's number, not tenant default's") != std::string::npos);
  wrong = with({"send-sms", "--tenant", "acme", "--from", kDefaultNumber, "--to", end_user, "--body", "x"});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("is tenant default's number, not tenant acme's") != std::string::npos);
  auto unknown = with({"send-sms", "--tenant", "nobody", "--from", kAcmeNumber, "--to", end_user, "--body", "x"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("no tenant 'nobody' in the configuration (tenants: default, acme)") != std::string::npos);
  CHECK(t.acme_tw.messages().size() == 2);
  CHECK(t.tw.count("/2010-04-01") == 0);

  // simulate-inbound and sign-webhook twilio: signed with acme's auth token, as acme's account;
  // serve takes both to acme's connector.
  auto simulated = with({"simulate-inbound", "--tenant", "acme", "--from", end_user, "--to", kAcmeNumber, "--body", "simulated", "--url",
                         url + "/callbacks/twilio/sms"});
  INFO(simulated.out << simulated.err);
  CHECK(simulated.exit_code == 0);
  auto signed_inbound = with({"sign-webhook", "twilio", "--tenant", "acme", "--url", url + "/callbacks/twilio/sms", "--send", "From=" + end_user,
                              std::string("To=") + kAcmeNumber, "Body=signed inbound", "MessageSid=" + sid(7),
                              "AccountSid=" + t.acme_tw.account_sid()});
  INFO(signed_inbound.out << signed_inbound.err);
  CHECK(signed_inbound.exit_code == 0);
  REQUIRE(t.acme_inf.wait_for(2, 5s, "/api/digital"));
  std::set<std::string> texts;
  for (const auto& m : t.acme_inf.messages()) texts.insert(m.message["body"]["text"].get<std::string>());
  CHECK(texts == std::set<std::string>{"simulated", "signed inbound"});

  // sign-webhook infinity: acme's secret and connector; serve sends the reply with acme's account.
  auto signed_reply = with({"sign-webhook", "infinity", "--tenant", "acme", "--event", "messages", "--from", kAcmeNumber, "--to", end_user,
                            "--text", "signed reply", "--send", url + "/callbacks/avaya/infinity/sms"});
  INFO(signed_reply.out << signed_reply.err);
  CHECK(signed_reply.exit_code == 0);
  REQUIRE(t.acme_tw.wait_for(3, 5s, "/2010-04-01"));
  CHECK(t.acme_tw.messages()[2].field("Body") == "signed reply");
  CHECK(t.acme_tw.messages()[2].basic_user == t.acme_tw.account_sid());
  CHECK(t.tw.count("/2010-04-01") == 0);
  CHECK(t.inf.count("/api/digital") == 0);
}

TEST_CASE("tenants on the shared PostgreSQL store: own accounts, and one's outage holds up no other", "[serve][tenants][postgres]") {
  TwoTenants t;
  fakes::TestDatabase db;
  auto cfg = t.config();
  cfg["store"] = {{"url", db.url()}};
  Serve s(cfg);
  check_each_tenant_uses_its_own_accounts(t, s);
  check_one_tenants_outage_holds_up_no_other(t, s);
}

TEST_CASE("a configuration whose tenants clash is refused by config set, POST /api/configs and serve", "[serve][tenants]") {
  TwoTenants t;
  Serve s(t.config());
  // POST /api/configs: bravo claims acme's number.
  auto r = s.admin_post("/api/configs", {{"tenants", {{"bravo", {{"twilio", {{"isMockMode", true}}},
                                                                  {"avaya", {{"isMockMode", true}, {"connectorId", "conn-bravo"}}},
                                                                  {"numbers", {kAcmeNumber}}}}}}});
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(code_of(r) == "invalid_config");
  CHECK(r->body.find(std::string(kAcmeNumber) + " is already a number of tenants.acme") != std::string::npos);

  // config set: a tenant without credentials.
  fakes::Child set({"--config", s.dir.file("config.json"), "config", "set", "tenants.bravo.numbers", "+14155550400"});
  CHECK(set.wait(10s) == 2);
  CHECK(set.output().find("tenant bravo: tenants.bravo.twilio.account.sid is not set") != std::string::npos);
  CHECK(set.output().find("a new tenant's numbers and credentials go in one 'config set'") != std::string::npos);
  std::ifstream in(s.dir.file("config.json"));
  CHECK(json::parse(in)["tenants"].size() == 1);  // nothing written

  // serve: the same clash written by hand.
  auto bad = t.config();
  bad["tenants"]["bravo"] = bad["tenants"]["acme"];
  bad["tenants"]["bravo"]["avaya"]["connectorId"] = "conn-bravo";
  fakes::TempDir dir;
  std::ofstream(dir.file("config.json")) << bad.dump();
  fakes::Child serve({"--config", dir.file("config.json"), "serve", "--port", "0", "--admin-port", "0", "--data-dir", dir.file("data")});
  CHECK(serve.wait(10s) == 2);
  CHECK(serve.output().find("tenants.bravo.numbers: +14155550300 is already a number of tenants.acme") != std::string::npos);
}
