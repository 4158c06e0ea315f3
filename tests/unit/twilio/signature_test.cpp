#include <catch2/catch.hpp>

#include "twilio/signature.h"
#include "twilio/webhook.h"

using namespace sms;

namespace {
const form::Fields P{{"CallSid", "CA1234567890ABCDE"}, {"Caller", "+14158675309"}, {"Digits", "1234"},
                     {"From", "+14158675309"}, {"To", "+18005551212"}};
const std::string U = "https://mycompany.com/myapp.php?foo=1&bar=2";
const std::string kBodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
}  // namespace

TEST_CASE("every exact vector of twilio-api.md section 5") {
  struct V {
    std::string url, sig;
  };
  for (const auto& v : std::vector<V>{
           {U, "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
           {"https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w="},
           {"http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="},
           {"http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="},
           {"https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8="},
           {"https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "CukzLTc1tT5dXEDIHm/tKBanW10="},
           {"https://user@mycompany.com/myapp.php?foo=1&bar=2", "2YRLlVAflCqxaNicjMpJcSTgzSs="},
           {"https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2", "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="},
           {"https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing", "TfZzewPq8wqrGlMfyAud8+/IvJ0="},
           {"https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU="},
           {"https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "PCqOZm8cnu/L6+u5i5fuEd+Iac4="},
           {"http://MyCompany.com/myapp.php?foo=1&bar=2", "XY7AlKOKL6im4yWyX84gldUrtis="},
           {"http://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "PJ08CxXr7KLPjEQCTc8LkUSMwSM="},
           {"HTTP://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "hy/l8pca+LFms4cvRdv8uiP6NGc="},
           {"http://Username:Password@MyCompany.com/myapp.php?foo=1&bar=2", "SkTSKyDJH9kUlhItI0slbgZ1UsI="},
       }) {
    INFO(v.url);
    CHECK(twilio::compute_signature("12345", v.url, P) == v.sig);
    CHECK(twilio::validate_signature({"12345"}, v.sig, v.url, P));
  }
  CHECK(twilio::compute_signature("12345", U,
                                  {{"CallSid", "CA1234567890ABCDE"}, {"Caller", "+12349013030"}, {"Digits", "1234"},
                                   {"From", "+12349013030"}, {"To", "+18005551212"}}) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

TEST_CASE("repeated parameters are de-duplicated and sorted") {
  form::Fields a{{"MessagingBinding.Address", "+1325xxxxxxx"}, {"MessagingBinding.Address", "+1415xxxxxxx"}};
  form::Fields b{{"MessagingBinding.Address", "+1415xxxxxxx"}, {"MessagingBinding.Address", "+1325xxxxxxx"}};
  CHECK(twilio::compute_signature("12345", U, a) == "83O6e2vORAoJHUNzJjDWN1jz+BA=");
  CHECK(twilio::compute_signature("12345", U, b) == "83O6e2vORAoJHUNzJjDWN1jz+BA=");
  form::Fields v11{{"Sid", "CA123"}, {"SidAccount", "AC123"}, {"Digits", "5678"}, {"Digits", "1234"}, {"Digits", "1234"}};
  CHECK(twilio::compute_signature("12345", U, v11) == "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

TEST_CASE("ports are added or removed as Twilio's helpers do") {
  CHECK(twilio::validate_signature({"12345"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "https://mycompany.com:1234/myapp.php?foo=1&bar=2", P));
  CHECK(twilio::validate_signature({"12345"}, "kvajT1Ptam85bY51eRf/AJRuM3w=", U, P));
  CHECK(twilio::validate_signature({"12345"}, "0ZXoZLH/DfblKGATFgpif+LLRf4=", "http://mycompany.com/myapp.php?foo=1&bar=2", P));
  // A port written with a leading zero is signed as written (fuzzer finding: it was rewritten to
  // "579" before comparing, so a correct signature failed).
  const std::string odd = "https://example.com:0579/cb?x=1";
  CHECK(twilio::validate_signature({"12345"}, twilio::compute_signature("12345", odd, P), odd, P));
}

TEST_CASE("tampering, wrong signatures and wrong tokens fail, and rotation tokens pass") {
  auto tampered = P;
  tampered[2].second = "4321";
  CHECK_FALSE(twilio::validate_signature({"12345"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", U, tampered));
  CHECK_FALSE(twilio::validate_signature({"12345"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", U + "&x=1", P));
  CHECK_FALSE(twilio::validate_signature({"12345"}, "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=", U, P));
  CHECK_FALSE(twilio::validate_signature({"12345"}, "WRONG_SIGNATURE", U, P));
  CHECK_FALSE(twilio::validate_signature({"12345"}, "", U, P));
  CHECK_FALSE(twilio::validate_signature({"54321"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", U, P));
  CHECK(twilio::validate_signature({"old", "12345"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", U, P));
}

TEST_CASE("JSON bodies are checked through bodySHA256") {
  const std::string body = R"({"property": "value", "boolean": true})";
  CHECK(twilio::validate_signature({"12345"}, "a9nBmqA0ju/hNViExpshrM61xv4=", U + "&bodySHA256=" + kBodyHash, {}, body));
  CHECK(twilio::validate_signature({"12345"}, "y77kIzt2vzLz71DgmJGsen2scGs=",
                                   "https://mycompany.com/myapp.php?bodySHA256=" + kBodyHash, {}, body));
  CHECK(twilio::validate_signature({"12345"}, "Ldidvp12m26NI7eqEvxnEpkd9Hc=",
                                   U + "&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", {}, "{}"));
  CHECK_FALSE(twilio::validate_signature({"12345"}, "a9nBmqA0ju/hNViExpshrM61xv4=", U + "&bodySHA256=" + kBodyHash, {}, body + " "));
  CHECK_FALSE(twilio::validate_signature({"12345"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", U, {}, body));
  CHECK_FALSE(twilio::validate_signature({"12345"}, "a9nBmqA0ju/hNViExpshrM61xv4=", "https://mycompany.com/myapp.php", {}, body));
}

TEST_CASE("our own SMS vectors D1 and D2") {
  const std::string token = "aaaabbbbccccddddeeeeffff00001111";
  auto d1 = form::parse(
      "ToCountry=US&ToState=CA&SmsMessageSid=SM11111111111111111111111111111111&NumMedia=0&ToCity=SAN+FRANCISCO&FromZip=94105"
      "&SmsSid=SM11111111111111111111111111111111&FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO"
      "&Body=Hello%2C+caf%C3%A9+%E2%98%95+%26+friends&FromCountry=US&To=%2B14155550100"
      "&MessagingServiceSid=MG22222222222222222222222222222222&ToZip=94105&NumSegments=1"
      "&MessageSid=SM11111111111111111111111111111111&AccountSid=AC33333333333333333333333333333333&From=%2B14155550199"
      "&ApiVersion=2010-04-01");
  CHECK(twilio::compute_signature(token, "https://connector.example.com/twilio/sms/inbound?tenant=acme", d1) ==
        "lNsTjmV8h+moWyDxFA1smC1BLb8=");
  form::Fields d2{{"SmsSid", "SM44444444444444444444444444444444"}, {"SmsStatus", "delivered"},
                  {"MessageStatus", "delivered"}, {"To", "+14155550199"},
                  {"MessageSid", "SM44444444444444444444444444444444"}, {"AccountSid", "AC33333333333333333333333333333333"},
                  {"From", "+14155550100"}, {"ApiVersion", "2010-04-01"}};
  CHECK(twilio::compute_signature(token, "https://connector.example.com/twilio/sms/status", d2) == "YuoRm3mmRGaMLtlHRNMid4r7ldU=");

  auto sms = twilio::parse_inbound(d1);
  REQUIRE(sms);
  CHECK(sms->body == "Hello, caf\xc3\xa9 \xe2\x98\x95 & friends");
  CHECK(sms->from == "+14155550199");
  CHECK(sms->geo.size() == 8);
  CHECK(sms->geo.at("toCity") == "SAN FRANCISCO");
}

TEST_CASE("inbound and status webhooks are validated") {
  form::Fields base{{"MessageSid", "SM1"}, {"From", "+1"}, {"To", "+2"}, {"Body", "hi"}, {"FromCity", ""}};
  auto ok = twilio::parse_inbound(base);
  REQUIRE(ok);
  CHECK(ok->geo.empty());  // empty geo values are left out
  for (const char* f : {"MessageSid", "From", "To"}) {
    form::Fields missing;
    for (auto& kv : base) if (kv.first != f) missing.push_back(kv);
    auto r = twilio::parse_inbound(missing);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.find(f) != std::string::npos);
  }
  form::Fields media{{"MessageSid", "MM1"}, {"From", "+1"}, {"To", "+2"}, {"Body", ""}, {"NumMedia", "2"},
                     {"MediaUrl0", "https://m/0"}, {"MediaUrl1", "https://m/1"}, {"MediaContentType0", "image/jpeg"}};
  auto m = twilio::parse_inbound(media);
  REQUIRE(m);
  CHECK(m->media_urls == std::vector<std::string>{"https://m/0", "https://m/1"});
  CHECK(m->media_content_types == std::vector<std::string>{"image/jpeg", ""});  // beside their URLs
  media[4].second = "two";
  CHECK_FALSE(twilio::parse_inbound(media));
  form::Fields no_body{{"MessageSid", "SM1"}, {"From", "+1"}, {"To", "+2"}, {"Body", ""}, {"NumMedia", "0"}};
  CHECK_FALSE(twilio::parse_inbound(no_body));
  form::Fields long_geo{{"MessageSid", "SM1"}, {"From", "+1"}, {"To", "+2"}, {"Body", "x"}, {"ToCity", std::string(300, 'c')}};
  CHECK(twilio::parse_inbound(long_geo)->geo.at("toCity").size() == 256);
  form::Fields bad_utf8{{"MessageSid", "SM1"}, {"From", "+1"}, {"To", "+2"}, {"Body", "caf\xc3"}};
  auto u = twilio::parse_inbound(bad_utf8);
  REQUIRE_FALSE(u);
  CHECK(u.error().message.find("Body is not valid UTF-8") != std::string::npos);
  form::Fields long_from{{"MessageSid", "SM1"}, {"From", std::string(65, '1')}, {"To", "+2"}, {"Body", "x"}};
  CHECK_FALSE(twilio::parse_inbound(long_from));
  CHECK_FALSE(twilio::parse_status({{"MessageSid", "SM\xff"}, {"MessageStatus", "sent"}}));

  auto s = twilio::parse_status({{"SmsSid", "SM9"}, {"SmsStatus", "sent"}, {"MessageStatus", "Delivered"}, {"ErrorCode", "30003"}});
  REQUIRE(s);
  CHECK(s->message_sid == "SM9");
  CHECK(s->status == "delivered");
  CHECK(s->error_code == "30003");
  CHECK_FALSE(twilio::parse_status({{"MessageStatus", "sent"}}));
  auto sid = twilio::new_message_sid();
  CHECK(sid.size() == 34);
  CHECK(sid.rfind("SM", 0) == 0);
  CHECK(sid.find_first_not_of("0123456789abcdef", 2) == std::string::npos);
}
