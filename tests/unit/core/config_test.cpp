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
