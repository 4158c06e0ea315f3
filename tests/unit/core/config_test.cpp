#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/config_file.h"
#include "fakes/process.h"

using namespace sms;
using nlohmann::json;

TEST_CASE("masking follows the sample") {
  CHECK(config::mask("") == "");
  CHECK(config::mask("a") == "***");
  CHECK(config::mask("abcdef") == "***");
  CHECK(config::mask("abcdefg") == "abc***fg");
  CHECK(config::mask("your_twilio_account_sid") == "you***id");
}

TEST_CASE("defaults keep the sample's shape and mask secrets") {
  config::Config c;
  CHECK(c.integer("server.port") == 8081);
  CHECK(c.str("twilio.apiBaseUrl") == "https://api.twilio.com");
  CHECK_FALSE(c.twilio_mock());
  auto tree = c.tree();
  tree["twilio"]["account"]["authToken"] = "secret-token-value";
  tree["avaya"]["host"] = "core.acme.ec.avayacloud.com";
  config::Config d(tree);
  auto m = d.masked();
  CHECK(m["twilio"]["account"]["authToken"] == "sec***ue");
  CHECK(m["avaya"]["host"] == "core.acme.ec.avayacloud.com");
  CHECK(d.avaya_base_url() == "https://core.acme.ec.avayacloud.com");
  for (const char* key : {"sid", "authToken"}) CHECK(m["twilio"]["account"].contains(key));
  for (const char* key : {"host", "accountId", "clientId", "clientSecret", "connectorId", "webhookSecret", "isMockMode"})
    CHECK(m["avaya"].contains(key));
  CHECK_THROWS_AS(c.str("no.such.key"), std::logic_error);
  CHECK_THROWS_AS(c.str("server.port"), std::logic_error);
}

TEST_CASE("patches are validated key by key with the fix in the message") {
  auto problems = config::check_patch({{"server", {{"port", "eighty"}, {"publicUrl", "ftp://x"}}},
                                       {"avaya", {{"hots", "x"}, {"isMockMode", "yes"}}},
                                       {"relay", {{"retryMax", "soon"}}},
                                       {"twilio", 5}});
  REQUIRE(problems.size() == 6);
  auto all = [&] {
    std::string s;
    for (auto& p : problems) s += p + "\n";
    return s;
  }();
  CHECK(all.find("server.port: expected an integer from 0 to 65535") != std::string::npos);
  CHECK(all.find("server.publicUrl: not an http(s) URL") != std::string::npos);
  CHECK(all.find("avaya.hots: unknown key (did you mean avaya.host?)") != std::string::npos);
  CHECK(all.find("avaya.isMockMode: expected true or false") != std::string::npos);
  CHECK(all.find("relay.retryMax: not a duration") != std::string::npos);
  CHECK(all.find("twilio: expected an object") != std::string::npos);
  CHECK(config::check_patch(json::array()).size() == 1);
  CHECK(config::check_patch({{"avaya", {{"host", "https://core.x.com/some/path"}}}}).size() == 1);
  CHECK(config::check_patch({{"avaya", {{"sendMessagePath", "api/x"}}}}).size() == 1);
  CHECK(config::check_patch({{"store", {{"leaseTimeout", "500ms"}}}}).at(0) == "store.leaseTimeout: must be at least 1s, got \"500ms\"");
  CHECK(config::check_patch({{"store", {{"url", "mysql://db/x"}}}}).at(0).starts_with("store.url: expected \"\" (SQLite) or a postgresql:// URL"));
  CHECK(config::check_patch({{"store", {{"url", "postgresql://u:p@db/x"}, {"leaseTimeout", "30s"}, {"poolSize", 4}}}}).empty());
  CHECK(config::check_patch({{"avaya", {{"host", "core.x.com"}}}, {"server", {{"port", 0}}}}).empty());
}

TEST_CASE("credentials never go over plain http to another machine") {
  auto one = [](const json& patch) {
    auto p = config::check_patch(patch);
    return p.empty() ? std::string() : p.front();
  };
  CHECK(one({{"avaya", {{"host", "http://core.x.ec.avayacloud.com"}}}}).find("must be https://") != std::string::npos);
  CHECK(one({{"avaya", {{"host", "http://127.evil.example:8080"}}}}).find("must be https://") != std::string::npos);
  CHECK(one({{"twilio", {{"apiBaseUrl", "http://api.twilio.com"}}}}).find("must be https://") != std::string::npos);
  CHECK(one({{"avaya", {{"host", "core.x.ec.avayacloud.com"}}}}).empty());  // https:// added
  CHECK(one({{"avaya", {{"host", "http://127.0.0.1:8080"}}}, {"twilio", {{"apiBaseUrl", "http://localhost:9"}}}}).empty());
  // server.publicUrl is where Twilio calls us; nothing secret is sent there, so http is allowed.
  CHECK(one({{"server", {{"publicUrl", "http://example.com"}}}}).empty());
}

TEST_CASE("values that are not UTF-8 are refused, not thrown on (fuzzer finding)") {
  // An integer key given bytes that are not UTF-8 used to make the error message's JSON dump throw.
  auto port = config::parse_value("server.port", "\xff\xfe");
  REQUIRE_FALSE(port);
  CHECK(port.error().message.find("server.port: expected an integer") != std::string::npos);
  auto sid = config::parse_value("twilio.account.sid", "AC\xc3");
  REQUIRE_FALSE(sid);
  CHECK(sid.error().message == "twilio.account.sid: not valid UTF-8");
  auto env = config::env_overrides({{"PORT", "\xff"}});
  CHECK_FALSE(env);
}

TEST_CASE("validation errors never echo a secret's value") {
  auto problems = config::check_patch({{"avaya", {{"clientSecret", 12345678901}, {"webhookSecret", true}}},
                                       {"server", {{"port", std::string(200, '9')}}}});
  REQUIRE(problems.size() == 3);
  std::string all;
  for (auto& p : problems) all += p + "\n";
  CHECK(all.find("12345678901") == std::string::npos);
  CHECK(all.find("avaya.clientSecret: expected a string, got a number") != std::string::npos);
  CHECK(all.find("got a boolean") != std::string::npos);
  CHECK(all.find(std::string(100, '9')) == std::string::npos);  // long values are cut
}

TEST_CASE("command-line values are typed per key") {
  CHECK(*config::parse_value("server.port", "9000") == 9000);
  CHECK(*config::parse_value("twilio.isMockMode", "yes") == true);
  CHECK(*config::parse_value("twilio.isMockMode", "0") == false);
  CHECK(*config::parse_value("avaya.host", "core.x.com") == "core.x.com");
  CHECK(config::parse_value("server.port", "70000").error().kind == ErrorKind::config);
  CHECK(config::parse_value("server.port", "12abc").error().message.find("server.port") != std::string::npos);
  CHECK(config::parse_value("twilio.isMockMode", "maybe").error().kind == ErrorKind::config);
  CHECK(config::parse_value("relay.retryMax", "2x").error().kind == ErrorKind::config);
  CHECK(config::parse_value("server.prot", "1").error().message.find("did you mean server.port?") != std::string::npos);
}

TEST_CASE("the agent's notice template must fit in an Infinity message with its reason") {
  CHECK(config::parse_value("compliance.noticeTemplate", "Not sent: {reason}"));
  CHECK(config::parse_value("compliance.noticeTemplate", "").error().message == "compliance.noticeTemplate: must be 1 to 500 characters");
  CHECK_FALSE(config::parse_value("compliance.noticeTemplate", std::string(501, 'x')));
  CHECK(config::parse_value("compliance.noticeTemplate", std::string(500, 'x')));
  CHECK(config::parse_value("compliance.mediaNoticeTemplate", "").error().message ==
        "compliance.mediaNoticeTemplate: must be 1 to 500 characters");
  CHECK_FALSE(config::parse_value("compliance.mediaNoticeTemplate", std::string(501, 'x')));
}

TEST_CASE("merge reports the leaves that changed") {
  json base = {{"a", {{"b", 1}, {"c", 2}}}};
  auto changed = config::merge_into(base, {{"a", {{"b", 1}, {"c", 3}, {"d", 4}}}});
  CHECK(changed == std::vector<std::string>{"a.c", "a.d"});
  CHECK(base == json{{"a", {{"b", 1}, {"c", 3}, {"d", 4}}}});
}

TEST_CASE("environment variables map to keys, and ENV picks mock modes") {
  auto l = config::env_overrides({{"TWILIO_ACCOUNT_SID", "AC1"}, {"PORT", "9001"}, {"ENV", "mock_all"},
                                  {"AVAYA_INFINITY_HOST", ""}, {"UNRELATED", "x"}});
  REQUIRE(l);
  CHECK(*l == json{{"twilio", {{"account", {{"sid", "AC1"}}}, {"isMockMode", true}}},
                   {"server", {{"port", 9001}}},
                   {"avaya", {{"isMockMode", true}}}});
  CHECK(*config::env_overrides({{"ENV", "mock_twilio"}}) == json{{"twilio", {{"isMockMode", true}}}});
  CHECK(*config::env_overrides({{"ENV", "development"}}) == json::object());
  auto bad = config::env_overrides({{"PORT", "http"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("PORT") != std::string::npos);
}

TEST_CASE("dotenv files") {
  fakes::TempDir dir;
  std::ofstream(dir.file(".env")) << "# comment\n\nexport TWILIO_ACCOUNT_SID=AC9\nAVAYA_INFINITY_HOST = \"core.x.com\"\n"
                                     "AVAYA_INFINITY_CLIENT_SECRET='s p#c'\nPORT=9002 # trailing\nMULTI=\"a\\nb\"\n";
  auto env = config::read_dotenv(dir.file(".env"));
  REQUIRE(env);
  CHECK((*env)["TWILIO_ACCOUNT_SID"] == "AC9");
  CHECK((*env)["AVAYA_INFINITY_HOST"] == "core.x.com");
  CHECK((*env)["AVAYA_INFINITY_CLIENT_SECRET"] == "s p#c");
  CHECK((*env)["PORT"] == "9002");
  CHECK((*env)["MULTI"] == "a\nb");
  std::ofstream(dir.file("bad.env")) << "A=1\nnot a pair\n";
  auto bad = config::read_dotenv(dir.file("bad.env"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("bad.env:2: expected KEY=VALUE") != std::string::npos);
}

TEST_CASE("the config file is located by flag, then env, then XDG") {
  CHECK(config::locate(std::filesystem::path("/x.json"), {{"INFINITY_SMS_CONFIG", "/y.json"}}) == "/x.json");
  CHECK(config::locate(std::nullopt, {{"INFINITY_SMS_CONFIG", "/y.json"}, {"XDG_CONFIG_HOME", "/xdg"}}) == "/y.json");
  CHECK(config::locate(std::nullopt, {{"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/h"}}) == "/xdg/infinity-sms/config.json");
  CHECK(config::locate(std::nullopt, {{"HOME", "/h"}}) == "/h/.config/infinity-sms/config.json");
}

TEST_CASE("precedence is flags > env > env-file > file > defaults") {
  fakes::TempDir dir;
  std::ofstream(dir.file("c.json")) << R"({"server":{"port":1001,"host":"10.0.0.1","publicUrl":"https://file.example"},"avaya":{"host":"file.example"}})";
  std::ofstream(dir.file(".env")) << "PORT=1002\nAVAYA_INFINITY_HOST=envfile.example\n";
  config::LoadOptions o{dir.file("c.json"), dir.file(".env"), {{"server", {{"host", "127.0.0.9"}}}}};
  auto l = config::load(o, {{"AVAYA_INFINITY_HOST", "env.example"}});
  REQUIRE(l);
  CHECK(l->effective.str("server.host") == "127.0.0.9");
  CHECK(l->effective.str("avaya.host") == "env.example");
  CHECK(l->effective.integer("server.port") == 1002);
  CHECK(l->effective.str("server.publicUrl") == "https://file.example");
  CHECK(l->effective.integer("server.threads") == 32);
  CHECK(config::source_of(l->layers, "server.host") == config::Source::flag);
  CHECK(config::source_of(l->layers, "avaya.host") == config::Source::env);
  CHECK(config::source_of(l->layers, "server.port") == config::Source::env_file);
  CHECK(config::source_of(l->layers, "server.publicUrl") == config::Source::file);
  CHECK(config::source_of(l->layers, "server.threads") == config::Source::defaults);

  std::ofstream(dir.file("broken.json")) << "{\"server\": ";
  auto broken = config::load({dir.file("broken.json"), std::nullopt, json::object()}, {});
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message.find("broken.json") != std::string::npos);
  auto missing = config::load({dir.file("none/c.json"), std::nullopt, json::object()}, {});
  REQUIRE(missing);
  CHECK(missing->effective.integer("server.port") == 8081);
}

TEST_CASE("a config file that is not JSON is an error, not a crash (fuzzer finding: a number too large)") {
  fakes::TempDir dir;
  for (const char* text : {"{\"server\": {\"port\": 1e999}}", "{\"server\": ", "5555555E5555557777777"}) {
    INFO(text);
    std::ofstream(dir.file("config.json")) << text;
    auto r = config::ConfigFile(dir.file("config.json")).read();
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::config);
    CHECK(r.error().message.find("invalid JSON") != std::string::npos);
  }
}

TEST_CASE("updates are atomic, 0600, hold only the file layer, and lose nothing under concurrency") {
  fakes::TempDir dir;
  config::ConfigFile file(dir.file("sub/config.json"));
  auto r = file.update([](json& layer) -> Result<void> {
    config::set_dotted(layer, "server.port", 1);
    return {};
  });
  REQUIRE(r);
  struct stat st{};
  REQUIRE(stat(dir.file("sub/config.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(*file.read() == json{{"server", {{"port", 1}}}});

  auto invalid = file.update([](json& layer) -> Result<void> {
    config::set_dotted(layer, "server.port", "x");
    return {};
  });
  CHECK_FALSE(invalid);
  CHECK(*file.read() == json{{"server", {{"port", 1}}}});

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        (void)file.update([](json& layer) -> Result<void> {
          layer["server"]["port"] = layer["server"]["port"].get<int>() + 1;
          return {};
        });
    });
  for (auto& t : threads) t.join();
  CHECK((*file.read())["server"]["port"] == 101);
  std::size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.file("sub"))) entries += e.path().filename().string()[0] == '.';
  CHECK(entries == 0);  // no temp files left behind
}

namespace {

// A configuration with the default tenant in mock mode and two named tenants, `patch` over it.
config::Config with_tenants(const json& patch = json::object()) {
  json tree = config::Config().tree();
  config::merge_into(tree, {{"twilio", {{"isMockMode", true}}}, {"avaya", {{"isMockMode", true}, {"connectorId", "conn-default"}}}});
  auto tenant = [](const std::string& sid, const std::string& connector, json numbers) {
    return json{{"twilio", {{"account", {{"sid", sid}, {"authToken", "token-of-" + sid}}}}},
                {"avaya",
                 {{"host", "core.x.ec.avayacloud.com"},
                  {"clientId", "id-" + connector},
                  {"clientSecret", "secret-of-" + connector},
                  {"connectorId", connector},
                  {"webhookSecret", "whsec-" + connector}}},
                {"numbers", numbers}};
  };
  tree["tenants"] = {{"acme", tenant("AC01", "conn-acme", {"+15550100", "+15550101"})},
                     {"bravo", tenant("AC02", "conn-bravo", {"+15550200"})}};
  config::merge_into(tree, patch);
  return config::Config(tree);
}

}  // namespace

TEST_CASE("tenant keys are checked like the keys they repeat, and tenants' names and numbers are checked") {
  CHECK(config::check_patch({{"tenants", {{"acme", {{"twilio", {{"account", {{"sid", "AC1"}}}}}, {"numbers", {"+15550100"}}}}}}}).empty());
  auto first = [](const json& patch) {
    auto p = config::check_patch(patch);
    return p.empty() ? std::string() : p.front();
  };
  CHECK(first({{"tenants", {{"Acme", json::object()}}}}).find("tenants.Acme: a tenant's name is 1 to 32") == 0);
  CHECK(first({{"tenants", {{"default", json::object()}}}}).find("tenants.default: a tenant's name") == 0);
  CHECK(first({{"tenants", {{"acme", {{"server", {{"port", 1}}}}}}}}) == "tenants.acme.server: unknown key");
  CHECK(first({{"tenants", {{"acme", {{"twilio", {{"acount", {{"sid", "AC1"}}}}}}}}}}).find("tenants.acme.twilio.acount") == 0);
  CHECK(first({{"tenants", {{"acme", {{"twilio", {{"isMockMode", "yes"}}}}}}}}) == "tenants.acme.twilio.isMockMode: expected true or false, got \"yes\"");
  CHECK(first({{"tenants", {{"acme", {{"avaya", {{"host", "http://example.com"}}}}}}}}).find("tenants.acme.avaya.host: credentials are sent there") == 0);
  CHECK(first({{"tenants", {{"acme", {{"numbers", "+15550100"}}}}}}).find("tenants.acme.numbers: expected an array") == 0);
  CHECK(first({{"tenants", {{"acme", {{"numbers", {"5550100"}}}}}}}) == "tenants.acme.numbers: \"5550100\" is not an E.164 number (+ and 2 to 15 digits)");
  CHECK(first({{"tenants", {{"acme", {{"numbers", {"+15550100", "+15550100"}}}}}}}) == "tenants.acme.numbers: +15550100 is listed twice");
  CHECK(first({{"tenants", {"acme"}}}).find("tenants: expected an object") == 0);
  // The secrets of a tenant are never echoed either.
  CHECK(first({{"tenants", {{"acme", {{"twilio", {{"account", {{"authToken", 12345}}}}}}}}}}) ==
        "tenants.acme.twilio.account.authToken: expected a string, got a number");

  auto numbers = config::parse_value("tenants.acme.numbers", "+15550100, +15550101");
  REQUIRE(numbers);
  CHECK(*numbers == json({"+15550100", "+15550101"}));
  CHECK_FALSE(config::parse_value("tenants.acme.numbers", "+15550100,555"));
  CHECK(config::parse_value("tenants.acme.twilio.account.sid", "AC9"));
  CHECK(config::parse_value("tenants.acme.twilio.account.sid", "AC9").value() == "AC9");
  CHECK_FALSE(config::parse_value("tenants.ACME.twilio.account.sid", "AC9"));
}

TEST_CASE("each tenant sees its own accounts and the shared sections, and routing finds it by number and connector") {
  auto c = with_tenants({{"relay", {{"concurrency", 3}}}});
  CHECK(c.tenant_names() == std::vector<std::string>{"default", "acme", "bravo"});
  const auto* acme = c.tenant("acme");
  REQUIRE(acme);
  CHECK(acme->tenant_name() == "acme");
  CHECK(acme->str("twilio.account.sid") == "AC01");
  CHECK_FALSE(acme->twilio_mock());  // its own sections: not the default tenant's mock mode
  CHECK(acme->str("twilio.apiBaseUrl") == "https://api.twilio.com");  // the schema's default
  CHECK(acme->integer("relay.concurrency") == 3);                      // shared
  CHECK(acme->key_name("avaya.host") == "tenants.acme.avaya.host");
  CHECK(c.tenant("default") == &c);
  CHECK(c.tenant("nobody") == nullptr);

  CHECK(c.serving("+15550101") == acme);
  CHECK(c.serving("+15550200")->tenant_name() == "bravo");
  CHECK(c.serving("+19999999") == &c);  // the default tenant serves every other number
  CHECK(c.tenant_of_connector("conn-bravo")->tenant_name() == "bravo");
  CHECK(c.tenant_of_connector("conn-default") == &c);
  CHECK(c.tenant_of_connector("conn-other") == nullptr);
  CHECK(c.numbers("acme") == std::vector<std::string>{"+15550100", "+15550101"});
  CHECK(config::check_tenants(c).empty());

  // Without twilio or avaya settings of its own, the default tenant is not in use: a number no
  // tenant lists is nobody's.
  auto tree = with_tenants().tree();
  tree["twilio"]["isMockMode"] = false;
  tree["avaya"]["isMockMode"] = false;
  config::Config named_only(tree);
  CHECK(named_only.tenant_names() == std::vector<std::string>{"acme", "bravo"});
  CHECK(named_only.serving("+19999999") == nullptr);
  CHECK(named_only.has_named_tenants());
  CHECK_FALSE(config::Config().has_named_tenants());
}

TEST_CASE("a number claimed twice, a tenant without credentials or numbers, and a shared connector are refused") {
  auto problems = config::check_tenants(with_tenants({{"tenants", {{"bravo", {{"numbers", {"+15550200", "+15550101"}}}}}}}));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "tenants.bravo.numbers: +15550101 is already a number of tenants.acme (a number belongs to one tenant)");

  auto tree = with_tenants().tree();
  tree["tenants"]["bravo"]["twilio"]["account"].erase("authToken");
  tree["tenants"]["bravo"]["avaya"]["connectorId"] = "conn-default";
  tree["tenants"]["acme"].erase("numbers");
  problems = config::check_tenants(config::Config(tree));
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].find("tenants.acme.numbers: a tenant needs its business numbers") == 0);
  CHECK(problems[1].find("tenant bravo: tenants.bravo.twilio.account.authToken is not set") == 0);
  CHECK(problems[2] == "tenants.bravo.avaya.connectorId: conn-default is already the connector of avaya.connectorId (tenant default)");

  // A tenant in mock mode needs no credentials.
  tree = with_tenants().tree();
  tree["tenants"]["bravo"]["twilio"] = {{"isMockMode", true}};
  CHECK(config::check_tenants(config::Config(tree)).empty());
}

TEST_CASE("masked and revealed views show every tenant whole, secrets masked") {
  auto c = with_tenants();
  auto m = c.masked();
  CHECK(m["tenants"]["acme"]["twilio"]["account"]["authToken"] == config::mask("token-of-AC01"));
  CHECK(m["tenants"]["acme"]["avaya"]["clientSecret"] == config::mask("secret-of-conn-acme"));
  CHECK(m["tenants"]["acme"]["avaya"]["webhookSecret"] == config::mask("whsec-conn-acme"));
  CHECK(m["tenants"]["acme"]["avaya"]["connectorId"] == "conn-acme");
  CHECK(m["tenants"]["acme"]["twilio"]["apiBaseUrl"] == "https://api.twilio.com");  // defaults filled in
  CHECK(m["tenants"]["bravo"]["numbers"] == json({"+15550200"}));
  CHECK(m.dump().find("token-of-AC01") == std::string::npos);
  CHECK(c.revealed()["tenants"]["acme"]["twilio"]["account"]["authToken"] == "token-of-AC01");
}

TEST_CASE("config set refuses a change that leaves the tenants inconsistent, and writes nothing") {
  fakes::TempDir dir;
  config::ConfigFile file(dir.file("config.json"));
  auto tenant = [](const std::string& sid, const std::string& number) {
    return json{{"twilio", {{"isMockMode", true}}}, {"avaya", {{"isMockMode", true}, {"connectorId", "conn-" + sid}}},
                {"numbers", {number}}};
  };
  REQUIRE(file.update([&](json& layer) -> Result<void> {
    layer["tenants"] = {{"acme", tenant("1", "+15550100")}};
    return {};
  }));
  auto clash = file.update([&](json& layer) -> Result<void> {
    layer["tenants"]["bravo"] = tenant("2", "+15550100");
    return {};
  });
  REQUIRE_FALSE(clash);
  CHECK(clash.error().kind == ErrorKind::invalid_input);
  CHECK(clash.error().message.find("+15550100 is already a number of tenants.acme") != std::string::npos);
  CHECK_FALSE(file.read()->at("tenants").contains("bravo"));
}

TEST_CASE("pacing rates are numbers of sends per second, per kind of number or per number") {
  auto first = [](const json& patch) {
    auto p = config::check_patch(patch);
    return p.empty() ? std::string() : p.front();
  };
  CHECK(first({{"relay", {{"pacing", {{"longCode", 0.5}, {"shortCode", 0}, {"numbers", {{"+14155550100", 10}, {"22395", 100}}}}}}}}).empty());
  CHECK(first({{"relay", {{"pacing", {{"longCode", -1}}}}}}) ==
        "relay.pacing.longCode: expected sends per second from 0 (not paced) to 10000, such as 1 or 0.5, got -1");
  CHECK(first({{"relay", {{"pacing", {{"tollFree", "3"}}}}}}).find("relay.pacing.tollFree: expected sends per second") == 0);
  CHECK(first({{"relay", {{"pacing", {{"unit", "parts"}}}}}}) == "relay.pacing.unit: expected segments or messages, got \"parts\"");
  CHECK(first({{"relay", {{"pacing", {{"numbers", {{"4155550100", 1}}}}}}}}) ==
        "relay.pacing.numbers: \"4155550100\" is not an E.164 number or a short code");
  CHECK(first({{"relay", {{"pacing", {{"numbers", {{"+14155550100", 20000}}}}}}}}).find("relay.pacing.numbers.+14155550100: expected") == 0);
  CHECK(first({{"relay", {{"pacing", {{"numbers", json::array()}}}}}}).find("relay.pacing.numbers: expected an object") == 0);
  CHECK(first({{"tenants", {{"acme", {{"pacing", {{"longCode", "fast"}}}}}}}}).find("tenants.acme.pacing.longCode: expected") == 0);

  CHECK(config::parse_value("relay.pacing.longCode", "0.5").value() == 0.5);
  CHECK(config::parse_value("relay.pacing.longCode", "2").value().is_number_integer());
  CHECK(config::parse_value("relay.pacing.numbers", "+14155550100=10, 22395=0.5").value() == json({{"+14155550100", 10}, {"22395", 0.5}}));
  CHECK(config::parse_value("relay.pacing.numbers", "").value() == json::object());
  auto bad = config::parse_value("relay.pacing.numbers", "+14155550100");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "relay.pacing.numbers: expected NUMBER=RATE[,NUMBER=RATE...], got +14155550100");
  CHECK(config::parse_value("tenants.acme.pacing.shortCode", "50").value() == 50);

  auto c = config::Config();
  CHECK(c.rate("relay.pacing.longCode") == 1);
  CHECK(c.rate("relay.pacing.tollFree") == 3);
  CHECK(c.rate("relay.pacing.shortCode") == 30);
  CHECK(c.str("relay.pacing.unit") == "segments");
}

TEST_CASE("inbound media are attached, linked or dropped, up to a size") {
  auto first = [](const json& patch) {
    auto p = config::check_patch(patch);
    return p.empty() ? std::string() : p.front();
  };
  for (const char* mode : {"attach", "link", "drop"}) CHECK(first({{"relay", {{"inboundMedia", mode}}}}).empty());
  CHECK(first({{"relay", {{"inboundMedia", "upload"}}}}) == "relay.inboundMedia: expected attach, link or drop, got \"upload\"");
  CHECK(first({{"relay", {{"inboundMedia", ""}}}}).find("relay.inboundMedia: expected attach, link or drop") == 0);
  CHECK(first({{"relay", {{"maxMediaBytes", 100}}}}).find("relay.maxMediaBytes") == 0);
  CHECK(first({{"relay", {{"maxMediaBytes", 1048576}}}}).empty());
  auto c = config::Config();
  CHECK(c.str("relay.inboundMedia") == "link");
  CHECK(c.integer("relay.maxMediaBytes") == 5242880);
}
