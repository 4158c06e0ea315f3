// Every subcommand as a process against the fakes, failure paths included.
#include <sys/stat.h>

#include <httplib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_commands.h"
#include "core/crypto.h"
#include "core/form.h"
#include "fakes/fake_infinity.h"
#include "fakes/fake_twilio.h"
#include "fakes/process.h"
#include "twilio/signature.h"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Cli {
  fakes::TempDir dir;
  std::string config() const { return dir.file("config.json"); }
  void write(const json& j) const { std::ofstream(config()) << j.dump(); }
  fakes::RunResult operator()(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                              const std::string& input = "") const {
    args.insert(args.begin(), {"--config", config()});
    return fakes::run(args, env, input, 20s);
  }
};

// A loopback receiver that records the last request.
struct Receiver {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex m;
  httplib::Headers headers;
  std::string body;
  int status = 200;
  Receiver() {
    server.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard l(m);
      headers = req.headers;
      body = req.body;
      res.status = status;
      res.set_content("{\"ok\":true}", "application/json");
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    server.stop();
    thread.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
};

std::string hmac64(const std::string& key, const std::string& body) {
  return sms::crypto::base64_encode(sms::crypto::hmac_sha256(key, body));
}

std::string last_line(const std::string& s) {
  auto t = s.substr(0, s.find_last_not_of('\n') + 1);
  return t.substr(t.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("version, usage errors and exit codes", "[cli]") {
  Cli cli;
  auto v = cli({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find(INFINITY_SMS_VERSION) != std::string::npos);
  CHECK(cli({}).exit_code == 2);
  CHECK(cli({"frobnicate"}).exit_code == 2);
  CHECK(cli({"send-sms", "--to", "+15551230001"}).exit_code == 2);
  auto help = cli({"send-sms", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Examples:") != std::string::npos);
}

TEST_CASE("config show and set", "[cli]") {
  Cli cli;
  auto set = cli({"config", "set", "avaya.host", "core.acme.ec.avayacloud.com", "avaya.clientSecret", "supersecret1",
                  "server.port", "9000"});
  CHECK(set.exit_code == 0);
  // An audit line names the keys, never the values.
  CHECK(set.err.find("audit: configuration changed by config set") != std::string::npos);
  CHECK(set.err.find("avaya.clientSecret") != std::string::npos);
  CHECK(set.err.find("supersecret1") == std::string::npos);
  struct stat st{};
  REQUIRE(stat(cli.config().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto shown = cli({"config", "show"});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("server.port = 9000  # file") != std::string::npos);
  CHECK(shown.out.find("server.host = \"0.0.0.0\"  # default") != std::string::npos);
  CHECK(shown.out.find("avaya.clientSecret = \"sup***t1\"  # file") != std::string::npos);
  CHECK(shown.out.find("supersecret1") == std::string::npos);
  CHECK(cli({"config", "show", "--reveal"}).out.find("supersecret1") != std::string::npos);
  auto as_json = json::parse(cli({"config", "show", "--json"}).out);
  CHECK(as_json["avaya"]["host"] == "core.acme.ec.avayacloud.com");
  CHECK(as_json["avaya"]["clientSecret"] == "sup***t1");

  auto env = cli({"config", "show"}, {{"PORT", "7000"}, {"ENV", "mock_twilio"}});
  CHECK(env.out.find("server.port = 7000  # environment PORT") != std::string::npos);
  CHECK(env.out.find("twilio.isMockMode = true") != std::string::npos);
  std::ofstream(cli.dir.file(".env")) << "PORT=7100\n";
  CHECK(cli({"--env-file", cli.dir.file(".env"), "config", "show"}).out.find("server.port = 7100  # env-file PORT") !=
        std::string::npos);

  auto bad_type = cli({"config", "set", "server.port", "eighty"});
  CHECK(bad_type.exit_code == 2);
  CHECK(bad_type.err.find("server.port: expected an integer") != std::string::npos);
  auto unknown = cli({"config", "set", "avaya.hots", "x"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("did you mean avaya.host?") != std::string::npos);
  CHECK(cli({"config", "set", "server.port"}).exit_code == 2);
  auto overridden = cli({"config", "set", "server.port", "9001"}, {{"PORT", "7000"}});
  CHECK(overridden.exit_code == 0);
  CHECK(overridden.err.find("overridden by the environment") != std::string::npos);

  // A map of numbers to rates is set whole.
  CHECK(cli({"config", "set", "relay.pacing.numbers", "+14155550100=10,22395=0.5", "relay.pacing.longCode", "2"}).exit_code == 0);
  CHECK(cli({"config", "set", "relay.pacing.numbers", "+14155550101=3"}).exit_code == 0);
  auto pacing = cli({"config", "show"}).out;
  CHECK(pacing.find("relay.pacing.numbers = {\"+14155550101\":3}  # file") != std::string::npos);
  CHECK(pacing.find("relay.pacing.longCode = 2  # file") != std::string::npos);
  auto bad_rate = cli({"config", "set", "relay.pacing.numbers", "+14155550101=fast"});
  CHECK(bad_rate.exit_code == 2);
  CHECK(bad_rate.err.find("relay.pacing.numbers.+14155550101: expected sends per second") != std::string::npos);
  CHECK(cli({"config", "set", "relay.pacing.numbers", ""}).exit_code == 0);
  CHECK(cli({"config", "show"}).out.find("relay.pacing.numbers = {}  # file") != std::string::npos);

  std::ofstream(cli.config()) << "{ not json";
  auto broken = cli({"config", "show"});
  CHECK(broken.exit_code == 2);
  CHECK(broken.err.find(cli.config()) != std::string::npos);
}

TEST_CASE("token against the fake Infinity", "[cli]") {
  fakes::FakeInfinity inf;
  Cli cli;
  CHECK(cli({"token"}).exit_code == 2);  // not configured
  cli.write({{"avaya", {{"host", inf.url()}, {"clientId", inf.client_id()}, {"clientSecret", inf.client_secret()}}}});
  auto t = cli({"token"});
  CHECK(t.exit_code == 0);
  CHECK(std::count(t.out.begin(), t.out.end(), '.') == 2);  // a JWT, alone
  auto j = json::parse(cli({"token", "--json"}).out);
  CHECK(j["expires_in"] == 900);
  CHECK(j["claims"]["owner"][0] == inf.connector_id());
  CHECK(j["expires_at"].get<std::string>().back() == 'Z');

  auto denied = cli({"token"}, {{"AVAYA_INFINITY_CLIENT_SECRET", "nope-wrong"}});
  CHECK(denied.exit_code == 1);
  CHECK(denied.err.find("invalid_client") != std::string::npos);
  CHECK(denied.err.find("nope-wrong") == std::string::npos);
  fakes::Failure down;
  down.status = 500;
  inf.inject(down);
  CHECK(cli({"token"}).exit_code == 1);
  fakes::Failure missing;
  missing.status = 404;
  inf.inject(missing);
  CHECK(cli({"token"}).err.find("avaya.host") != std::string::npos);
  auto refused = cli({"token"}, {{"AVAYA_INFINITY_HOST", "http://127.0.0.1:1"}});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("could not connect") != std::string::npos);
}

TEST_CASE("send-sms against the fake Twilio", "[cli]") {
  fakes::FakeTwilio tw;
  Cli cli;
  cli.write({{"twilio", {{"account", {{"sid", tw.account_sid()}, {"authToken", tw.auth_token()}}}, {"apiBaseUrl", tw.url()}}}});
  auto ok = cli({"send-sms", "--from", "+15559870002", "--to", "+15551230001", "--body", "hi", "--media-url", "https://m/1",
                 "--media-url", "https://m/2"});
  CHECK(ok.exit_code == 0);
  REQUIRE(tw.messages().size() == 1);
  CHECK(ok.out == tw.messages()[0].sid + "\n");
  CHECK(tw.messages()[0].form.count("MediaUrl") == 2);

  tw.fail_with_code(400, 21211, "The 'To' number is not a valid phone number.");
  auto bad = cli({"send-sms", "--from", "+15559870002", "--to", "+15551230001", "--body", "hi"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("21211") != std::string::npos);
  CHECK(bad.err.find("https://www.twilio.com/docs/errors/21211") != std::string::npos);
  for (auto [status, code] : {std::pair{401, 20003}, std::pair{429, 20429}, std::pair{500, 20500}}) {
    tw.fail_with_code(status, code, "x");
    CHECK(cli({"send-sms", "--from", "+15559870002", "--to", "+15551230001", "--body", "hi"}).exit_code == 1);
  }
  CHECK(cli({"send-sms", "--from", "5559870002", "--to", "+15551230001", "--body", "hi"}).exit_code == 2);
  auto refused = cli({"send-sms", "--from", "+15559870002", "--to", "+15551230001", "--body", "hi"},
                     {{"TWILIO_AUTH_TOKEN", "other-token"}});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("other-token") == std::string::npos);
  auto mock = cli({"send-sms", "--from", "+15559870002", "--to", "+15551230001", "--body", "hi"}, {{"ENV", "mock_twilio"}});
  CHECK(mock.exit_code == 0);
  CHECK(mock.err.find("mock") != std::string::npos);
  CHECK(tw.messages().size() == 1);  // mock mode sent nothing
}

TEST_CASE("sign-webhook infinity signs exact bytes and sends", "[cli]") {
  Cli cli;
  std::ofstream(cli.dir.file("body.json")) << R"({"eventType":"health_check"})";
  // printf '%s' '{"eventType":"health_check"}' | openssl dgst -sha256 -hmac s3cret -binary | base64
  auto signed_file = cli({"sign-webhook", "infinity", "--secret", "s3cret", "--body-file", cli.dir.file("body.json")});
  CHECK(signed_file.exit_code == 0);
  auto expected = "sha256=" + hmac64("s3cret", R"({"eventType":"health_check"})");
  CHECK(last_line(signed_file.out) == expected);
  auto from_stdin = cli({"sign-webhook", "infinity", "--secret", "s3cret"}, {}, R"({"eventType":"health_check"})");
  CHECK(last_line(from_stdin.out) == expected);
  CHECK(cli({"sign-webhook", "infinity"}, {}, "{}").exit_code == 2);  // no secret anywhere

  Receiver rx;
  auto sent = cli({"sign-webhook", "infinity", "--secret", "s3cret", "--event", "messages", "--from", "+15559870002", "--to",
                   "+15551230001", "--text", "Hi", "--send", rx.url("/callbacks/avaya/infinity/sms")});
  CHECK(sent.exit_code == 0);
  CHECK(sent.out.find("HTTP 200") != std::string::npos);
  auto event = json::parse(rx.body);
  CHECK(event["eventType"] == "messages");
  CHECK(event["headers"]["to"][0] == "+15551230001");
  CHECK(event["eventId"].get<std::string>().size() == 36);
  CHECK(rx.headers.find("x-avaya-event-signature")->second == "sha256=" + hmac64("s3cret", rx.body));
  rx.status = 403;
  CHECK(cli({"sign-webhook", "infinity", "--secret", "s3cret", "--event", "health_check", "--send", rx.url("/x")}).exit_code == 1);
}

TEST_CASE("sign-webhook twilio reproduces vector D1 and sends the form", "[cli]") {
  Cli cli;
  std::vector<std::string> args{"sign-webhook", "twilio", "--auth-token", "aaaabbbbccccddddeeeeffff00001111", "--url",
                                "https://connector.example.com/twilio/sms/inbound?tenant=acme"};
  for (auto& [k, v] : sms::form::parse(
           "ToCountry=US&ToState=CA&SmsMessageSid=SM11111111111111111111111111111111&NumMedia=0&ToCity=SAN+FRANCISCO"
           "&FromZip=94105&SmsSid=SM11111111111111111111111111111111&FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO"
           "&Body=Hello%2C+caf%C3%A9+%E2%98%95+%26+friends&FromCountry=US&To=%2B14155550100"
           "&MessagingServiceSid=MG22222222222222222222222222222222&ToZip=94105&NumSegments=1"
           "&MessageSid=SM11111111111111111111111111111111&AccountSid=AC33333333333333333333333333333333"
           "&From=%2B14155550199&ApiVersion=2010-04-01"))
    args.push_back(k + "=" + v);
  auto r = cli(args);
  CHECK(r.exit_code == 0);
  CHECK(last_line(r.out) == "lNsTjmV8h+moWyDxFA1smC1BLb8=");
  CHECK(cli({"sign-webhook", "twilio", "--auth-token", "t", "--url", "https://x/y", "novalue"}).exit_code == 2);

  Receiver rx;
  auto sent = cli({"sign-webhook", "twilio", "--auth-token", "t", "--url", rx.url("/hook?a=1"), "Body=hi there", "From=+1", "--send"});
  CHECK(sent.exit_code == 0);
  CHECK(rx.body == "Body=hi+there&From=%2B1");
  auto fields = sms::form::parse(rx.body);
  CHECK(sms::twilio::validate_signature({"t"}, rx.headers.find("X-Twilio-Signature")->second, rx.url("/hook?a=1"), fields));
}

TEST_CASE("simulate-inbound posts a signed Twilio-shaped webhook", "[cli]") {
  Receiver rx;
  Cli cli;
  cli.write({{"twilio", {{"account", {{"sid", "AC00000000000000000000000000000042"}, {"authToken", "tok"}}}}}});
  auto r = cli({"simulate-inbound", "--from", "+15551230001", "--to", "+15559870002", "--body", "Hello", "--media-url",
                "https://m/1", "--url", rx.url("/callbacks/twilio/sms")});
  CHECK(r.exit_code == 0);
  auto f = sms::form::parse(rx.body);
  auto sid = sms::form::value(f, "MessageSid");
  CHECK(r.out.find("MessageSid " + sid) != std::string::npos);
  CHECK(sid.size() == 34);
  CHECK(sms::form::value(f, "SmsSid") == sid);
  CHECK(sms::form::value(f, "AccountSid") == "AC00000000000000000000000000000042");
  CHECK(sms::form::value(f, "NumMedia") == "1");
  CHECK(sms::form::value(f, "MediaUrl0") == "https://m/1");
  CHECK(sms::form::value(f, "NumSegments") == "1");
  CHECK(sms::form::value(f, "ApiVersion") == "2010-04-01");
  CHECK(sms::twilio::validate_signature({"tok"}, rx.headers.find("X-Twilio-Signature")->second,
                                        rx.url("/callbacks/twilio/sms"), f));
  rx.status = 403;
  CHECK(cli({"simulate-inbound", "--from", "+15551230001", "--to", "+15559870002", "--body", "x", "--url",
             rx.url("/callbacks/twilio/sms")}).exit_code == 1);
  auto refused = cli({"simulate-inbound", "--from", "+15551230001", "--to", "+15559870002", "--body", "x", "--url",
                      "http://127.0.0.1:1/callbacks/twilio/sms"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("is 'infinity-sms serve' running there?") != std::string::npos);
  CHECK(cli({"simulate-inbound", "--from", "12", "--to", "+15559870002", "--body", "x"}).exit_code == 2);
}

TEST_CASE("global options go before or after every command", "[cli]") {
  Cli cli;
  cli.write({{"server", {{"port", 9123}, {"adminPort", 1}}}});
  auto commands = itest::all_commands();
  REQUIRE(commands.size() >= 14);  // the listing was really read
  for (const auto& args : commands) {
    if (args.empty()) continue;
    std::string path;
    for (const auto& a : args) path += " " + a;
    INFO("infinity-sms" << path);
    auto help_args = args;
    help_args.push_back("--help");
    auto help = fakes::run(help_args).out;
    CHECK(help.find("Global options") != std::string::npos);
    for (const char* option : {"--config", "--env-file", "--log-level", "--log-format", "--log-unredacted"})
      CHECK(help.find(option) != std::string::npos);
    // After the command, the option is parsed (its value checked) as it is before it.
    auto bad_after = args;
    bad_after.insert(bad_after.end(), {"--log-format", "xml"});
    auto r = fakes::run(bad_after);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--log-format") != std::string::npos);
    CHECK(r.err.find("not expected") == std::string::npos);
  }

  // --config after the command names the file read and written.
  auto before = fakes::run({"--config", cli.config(), "config", "show"});
  auto after = fakes::run({"config", "show", "--config", cli.config()});
  CHECK(after.exit_code == 0);
  CHECK(after.out == before.out);
  CHECK(after.out.find("server.port = 9123  # file") != std::string::npos);
  CHECK(fakes::run({"config", "set", "server.port", "9124", "--config", cli.config()}).exit_code == 0);
  CHECK(cli({"config", "show"}).out.find("server.port = 9124  # file") != std::string::npos);
  std::ofstream(cli.dir.file(".env")) << "PORT=7100\n";
  CHECK(fakes::run({"config", "show", "--env-file", cli.dir.file(".env"), "--config", cli.config()}).out.find(
            "server.port = 7100  # env-file PORT") != std::string::npos);
  // status asks the admin listener the file names (port 1: nobody there).
  auto status = fakes::run({"status", "--config", cli.config()});
  CHECK(status.exit_code == 1);
  CHECK(status.err.find("127.0.0.1:1") != std::string::npos);
  // The log options after the command: config set's audit line, as JSON, or none at all.
  auto logged = fakes::run({"config", "set", "server.port", "9125", "--config", cli.config(), "--log-format", "json"});
  CHECK(logged.err.find("{\"time\":") != std::string::npos);
  CHECK(logged.err.find("audit: configuration changed by config set") != std::string::npos);
  auto quiet = fakes::run({"config", "set", "server.port", "9126", "--config", cli.config(), "--log-level", "off"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.find("audit:") == std::string::npos);
}
