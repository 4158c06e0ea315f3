// infinity-sms doctor against fake Twilio and Infinity.
#include <sys/stat.h>

#include "serve_fixture.h"

using namespace itest;

namespace {

// Writes `config` to DIR/config.json with `mode` (its server.dataDir defaulting to DIR/data)
// and runs doctor on it.
fakes::RunResult doctor(const fakes::TempDir& dir, json config, mode_t mode = 0600) {
  if (!config["server"].contains("dataDir")) config["server"]["dataDir"] = dir.file("data");
  auto path = dir.file("config.json");
  std::ofstream(path) << config.dump();
  ::chmod(path.c_str(), mode);
  return fakes::run({"--config", path, "doctor"});
}

json numbers(const std::string& url, const std::string& method = "POST") {
  return json::array({{{"phone_number", "+14155550100"}, {"sms_url", url}, {"sms_method", method}}});
}

}  // namespace

TEST_CASE("doctor passes a correct setup and names the fix for each failure", "[cli][doctor]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  fakes::TempDir dir;
  auto cfg = fake_config(tw, inf);
  cfg["server"]["publicUrl"] = "https://sms.example.com";
  tw.set_numbers(numbers("https://sms.example.com/callbacks/twilio/sms"));

  auto good = doctor(dir, cfg);
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("[FAIL]") == std::string::npos);
  CHECK(good.out.find("[ok]   Infinity token obtained") != std::string::npos);
  CHECK(good.out.find("[ok]   Twilio account " + tw.account_sid() + " is active") != std::string::npos);
  CHECK(good.out.find("[ok]   +14155550100: incoming SMS webhook is https://sms.example.com/callbacks/twilio/sms (POST)") !=
        std::string::npos);
  CHECK(good.out.find("all checks passed") != std::string::npos);
  CHECK(good.out.find(inf.client_secret()) == std::string::npos);

  SECTION("the number's webhook points elsewhere") {
    tw.set_numbers(numbers("https://demo.twilio.com/welcome/sms/reply", "GET"));
    auto r = doctor(dir, cfg);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("[FAIL] +14155550100: incoming SMS webhook is https://demo.twilio.com/welcome/sms/reply (GET)") !=
          std::string::npos);
    CHECK(r.out.find("fix: Twilio Console -> Phone Numbers -> +14155550100") != std::string::npos);
  }
  SECTION("wrong Infinity client secret and Twilio token") {
    cfg["avaya"]["clientSecret"] = "wrong-secret";
    cfg["twilio"]["account"]["authToken"] = "wrong-token";
    auto r = doctor(dir, cfg);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("[FAIL] Infinity token from") != std::string::npos);
    CHECK(r.out.find("[FAIL] Twilio account") != std::string::npos);
    CHECK(r.out.find("wrong-secret") == std::string::npos);
    CHECK(r.out.find("wrong-token") == std::string::npos);
  }
  SECTION("plain http public URL, missing secret, world-readable file") {
    cfg["server"]["publicUrl"] = "http://sms.example.com";
    cfg["avaya"]["webhookSecret"] = "";
    auto r = doctor(dir, cfg, 0644);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("is readable by others (mode 644)") != std::string::npos);
    CHECK(r.out.find("fix: chmod 600 " + dir.file("config.json")) != std::string::npos);
    CHECK(r.out.find("server.publicUrl http://sms.example.com is not https") != std::string::npos);
    CHECK(r.out.find("avaya.webhookSecret is not set") != std::string::npos);
  }
  SECTION("incomplete settings, and an outbox that cannot be written") {
    cfg["avaya"]["host"] = "";
    std::ofstream(dir.file("not-a-dir")) << "x";
    cfg["server"]["dataDir"] = dir.file("not-a-dir");
    auto r = doctor(dir, cfg);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("[FAIL] Twilio -> Infinity: messages stay queued: avaya.host") != std::string::npos);
    CHECK(r.out.find("[skip] Infinity token") != std::string::npos);
    CHECK(r.out.find("[FAIL] outbox") != std::string::npos);
  }
}

TEST_CASE("doctor in mock mode skips the providers", "[cli][doctor]") {
  fakes::TempDir dir;
  auto r = doctor(dir, {{"server", {{"publicUrl", "https://sms.example.com"}}}, {"avaya", {{"isMockMode", true}}},
                        {"twilio", {{"isMockMode", true}}}});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("[skip] Infinity token: avaya.isMockMode is on") != std::string::npos);
  CHECK(r.out.find("[skip] Twilio credentials and numbers: twilio.isMockMode is on") != std::string::npos);
}
