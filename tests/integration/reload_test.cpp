// SIGHUP: serve re-reads its config file and --env-file and applies them as POST /api/configs
// does; an invalid file leaves the running configuration in force.
#include <csignal>
#include <fstream>

#include "serve_fixture.h"

using namespace itest;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Sends SIGHUP and waits for serve to log the outcome (`needle`) once more than before.
bool hup_and_wait(Serve& s, const std::string& needle) {
  auto before = count_of(s.child->output(), needle);
  s.child->signal(SIGHUP);
  for (int i = 0; i < 500; ++i) {
    if (count_of(s.child->output(), needle) > before) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string event(const fakes::FakeInfinity& inf, const std::string& id) {
  return agent_event(id, inf.connector_id(), "hello " + id, json::array({"+15550001111"})).dump();
}

}  // namespace

TEST_CASE("SIGHUP puts a changed webhook secret in force", "[serve][reload]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  Serve s(cfg);
  CHECK(s.post_infinity(event(inf, "ev-1"), kWebhookSecret)->status == 200);

  cfg["avaya"]["webhookSecret"] = "whsec-rotated-2";
  std::ofstream(s.dir.file("config.json")) << cfg.dump(2);
  REQUIRE(hup_and_wait(s, "audit: configuration reloaded"));
  CHECK(s.post_infinity(event(inf, "ev-2"), "whsec-rotated-2")->status == 200);
  CHECK(s.post_infinity(event(inf, "ev-3"), kWebhookSecret)->status == 403);  // signature_mismatch
  auto out = s.child->output();
  CHECK(out.find("avaya.webhookSecret") != std::string::npos);  // the audit line names the key
  CHECK(out.find("whsec-rotated-2") == std::string::npos);      // never its value
}

TEST_CASE("SIGHUP with an invalid config file keeps the running configuration and says why", "[serve][reload]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  Serve s(cfg);

  std::ofstream(s.dir.file("config.json")) << "{\"avaya\": {\"webhookSecret\": \"whsec-new\",";
  REQUIRE(hup_and_wait(s, "SIGHUP: configuration not reloaded"));
  CHECK(s.post_infinity(event(inf, "ev-1"), kWebhookSecret)->status == 200);

  cfg["relay"]["retryMax"] = "soon";  // valid JSON, invalid value
  std::ofstream(s.dir.file("config.json")) << cfg.dump(2);
  REQUIRE(hup_and_wait(s, "SIGHUP: configuration not reloaded"));
  CHECK(s.child->output().find("relay.retryMax") != std::string::npos);
  CHECK(s.post_infinity(event(inf, "ev-2"), kWebhookSecret)->status == 200);
  CHECK(s.child->wait(100ms) == std::nullopt);  // still running
}

TEST_CASE("SIGHUP reports a listener change as needing a restart, and re-reads --env-file", "[serve][reload]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  fakes::TempDir env_dir;
  std::ofstream(env_dir.file("env")) << "AVAYA_INFINITY_WEBHOOK_SECRET=whsec-from-env-file-1\n";
  Serve s(cfg, {}, true, {"--env-file", env_dir.file("env")});
  CHECK(s.post_infinity(event(inf, "ev-1"), "whsec-from-env-file-1")->status == 200);

  cfg["server"]["adminHost"] = "127.0.0.2";
  std::ofstream(s.dir.file("config.json")) << cfg.dump(2);
  std::ofstream(env_dir.file("env")) << "AVAYA_INFINITY_WEBHOOK_SECRET=whsec-from-env-file-2\n";
  REQUIRE(hup_and_wait(s, "audit: configuration reloaded"));
  CHECK(s.child->output().find("server.adminHost changed: it takes effect when serve restarts") != std::string::npos);
  CHECK(s.admin_get("/api/health")->status == 200);  // still on the old admin listener
  CHECK(s.post_infinity(event(inf, "ev-2"), "whsec-from-env-file-2")->status == 200);
  CHECK(s.post_infinity(event(inf, "ev-3"), "whsec-from-env-file-1")->status == 403);
}

TEST_CASE("POST /api/configs reports a listener change as needing a restart", "[serve][reload]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto r = s.admin_post("/api/configs", {{"server", {{"threads", 4}}}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto warnings = json::parse(r->body).value("warnings", json::array());
  CHECK(warnings.dump().find("server.threads changed: it takes effect when serve restarts") != std::string::npos);
}
