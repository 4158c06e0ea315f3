#include <catch2/catch.hpp>

#include "fakes/fake_twilio.h"
#include "twilio/client.h"

using namespace sms;
using namespace std::chrono_literals;

TEST_CASE("Twilio client sends the exact form with the right credentials") {
  fakes::FakeTwilio tw("AC00000000000000000000000000000001", "tok", "SK00000000000000000000000000000009", "keysecret");
  twilio::Client by_token(tw.url(), {tw.account_sid(), "tok", "", ""});
  auto sent = by_token.send({"+15550001", "+15550002", "hello", {"https://m/1", "https://m/2"}, "https://cb/status"});
  REQUIRE(sent);
  CHECK(sent->sid.rfind("SM", 0) == 0);
  CHECK(sent->status == "queued");
  twilio::Client by_key(tw.url(), {tw.account_sid(), "tok", "SK00000000000000000000000000000009", "keysecret"});
  REQUIRE(by_key.send({"+15550001", "+15550002", "again", {}, ""}));
  auto m = tw.messages();
  REQUIRE(m.size() == 2);
  std::multimap<std::string, std::string> expected{{"To", "+15550002"}, {"From", "+15550001"}, {"Body", "hello"},
                                                   {"MediaUrl", "https://m/1"}, {"MediaUrl", "https://m/2"},
                                                   {"StatusCallback", "https://cb/status"}};
  CHECK(m[0].form == expected);
  CHECK(m[0].basic_user == tw.account_sid());
  CHECK(m[1].basic_user == "SK00000000000000000000000000000009");
  CHECK(by_token.fetch_account()->at("sid") == tw.account_sid());

  twilio::Client no_creds(tw.url(), {tw.account_sid(), "", "", ""});
  auto missing = no_creds.send({"+1", "+2", "x", {}, ""});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::config);
  CHECK(tw.messages().size() == 2);
}

TEST_CASE("an MMS without text has no Body and its refusal for the number is told from others") {
  fakes::FakeTwilio tw;
  twilio::Client c(tw.url(), {tw.account_sid(), tw.auth_token(), "", ""});
  REQUIRE(c.send({"+15550001", "+15550002", "", {"https://m/1"}, ""}));
  REQUIRE(c.send({"+15550001", "+15550002", "", {}, ""}));  // without media an empty Body is Twilio's to refuse
  auto m = tw.messages();
  REQUIRE(m.size() == 2);
  CHECK(m[0].form.count("Body") == 0);
  CHECK(m[0].fields("MediaUrl") == std::vector<std::string>{"https://m/1"});
  CHECK(m[1].form.count("Body") == 1);

  tw.refuse_mms(true);
  auto refused = c.send({"+15550001", "+15550002", "pic", {"https://m/1", "https://m/2"}, ""});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::permanent);
  CHECK(twilio::refuses_mms(refused.error()));
  REQUIRE(c.send({"+15550001", "+15550002", "text alone goes", {}, ""}));
  for (int code : {21621, 21211, 21610}) {
    tw.fail_with_code(400, code, "no");
    auto r = c.send({"+15550001", "+15550002", "x", {"https://m/1"}, ""});
    REQUIRE_FALSE(r);
    CHECK(twilio::refuses_mms(r.error()) == (code == 21621));
  }
  CHECK(tw.messages().size() == 3);
}

TEST_CASE("Twilio errors are classified for the retry policy") {
  fakes::FakeTwilio tw;
  twilio::Client c(tw.url(), {tw.account_sid(), tw.auth_token(), "", ""}, {300ms, 300ms, 300ms});
  auto send = [&] { return c.send({"+15550001", "+15550002", "x", {}, ""}); };
  struct Case {
    int status, code;
    ErrorKind kind;
  };
  for (auto k : {Case{400, 21211, ErrorKind::permanent}, Case{400, 21610, ErrorKind::permanent},
                 Case{400, 21408, ErrorKind::permanent}, Case{400, 21614, ErrorKind::permanent},
                 Case{401, 20003, ErrorKind::auth}, Case{429, 20429, ErrorKind::retryable},
                 Case{500, 20500, ErrorKind::retryable}}) {
    tw.fail_with_code(k.status, k.code, "boom");
    auto r = send();
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == k.kind);
    CHECK(r.error().provider_code == std::to_string(k.code));
    CHECK(r.error().http_status == k.status);
    CHECK(r.error().more_info == "https://www.twilio.com/docs/errors/" + std::to_string(k.code));
  }
  fakes::Failure limited;
  limited.status = 429;
  limited.body = R"({"code":20429,"message":"Too Many Requests"})";
  limited.headers = {{"Retry-After", "2"}};
  tw.inject(limited);
  auto r = send();
  REQUIRE_FALSE(r);
  CHECK(r.error().retry_after == std::chrono::milliseconds(2000));

  fakes::Failure html;
  html.status = 502;
  html.body = "<html>Bad Gateway</html>";
  html.content_type = "text/html";
  tw.inject(html);
  r = send();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::retryable);
  CHECK(r.error().message == "Twilio answered HTTP 502");

  twilio::Client wrong(tw.url(), {tw.account_sid(), "bad-token", "", ""});
  auto denied = wrong.send({"+1", "+2", "x", {}, ""});
  REQUIRE_FALSE(denied);
  CHECK(denied.error().kind == ErrorKind::auth);
  CHECK(denied.error().message.find("bad-token") == std::string::npos);
}
