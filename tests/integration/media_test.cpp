// Inbound MMS (relay.inboundMedia): media fetched from Twilio and attached in Infinity, or sent
// as links, or dropped; end to end against the fakes.
#include "core/crypto.h"
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

namespace {

const char* kUploads = "/api/digital/messaging/v1/storage/upload-sessions/";
const char* kText = "Parcel arrived like this";

// A serve (relay.inboundMedia `mode`, config patched by `patch`) beside a fake Twilio that serves
// the pictures of one MMS and a fake Infinity.
struct Rig {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  std::string sid;                 // the MMS's MessageSid
  std::vector<std::string> bytes;  // of the pictures served, in order
  std::unique_ptr<Serve> s;

  explicit Rig(std::string message_sid, const std::string& mode = "attach", const json& patch = json::object())
      : sid(std::move(message_sid)) {
    auto cfg = fake_config(tw, inf);
    cfg["relay"]["inboundMedia"] = mode;
    sms::config::merge_into(cfg, patch);
    s = std::make_unique<Serve>(cfg);
  }

  // `n` more pictures (binary, `size` bytes, image/jpeg) of the MMS; returns their URLs.
  std::vector<std::string> pictures(int n, std::size_t size = 2000) {
    std::vector<std::string> urls;
    for (int i = 0; i < n; ++i) {
      std::string b(size, static_cast<char>('a' + bytes.size()));
      b[0] = '\xff';
      b[1] = '\0';
      bytes.push_back(b);
      char me[35];
      std::snprintf(me, sizeof me, "ME%032zu", bytes.size());
      urls.push_back(tw.add_media(sid, me, b, "image/jpeg"));
    }
    return urls;
  }

  // Posts real_inbound() as the MMS with `urls`, each declared image/jpeg.
  void post(const std::vector<std::string>& urls, const std::string& body = kText) {
    auto f = real_inbound(sid, tw.account_sid(), body);
    for (auto& [k, v] : f)
      if (k == "NumMedia") v = std::to_string(urls.size());
    for (std::size_t i = 0; i < urls.size(); ++i) {
      f.emplace_back("MediaUrl" + std::to_string(i), urls[i]);
      f.emplace_back("MediaContentType" + std::to_string(i), "image/jpeg");
    }
    auto r = s->post_twilio("/callbacks/twilio/sms", f, tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  // The messages Infinity accepted, once there are `n` of them, all marked sent in the outbox,
  // and a moment passed in which no other came.
  std::vector<fakes::FakeInfinity::Delivered> delivered(std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (inf.messages().size() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    REQUIRE(s->wait_state(State::sent, static_cast<std::int64_t>(n)));
    std::this_thread::sleep_for(200ms);
    auto sent = inf.messages();
    REQUIRE(sent.size() == n);
    return sent;
  }

  bool metric(const std::string& series) {
    auto r = s->admin->Get("/metrics");
    return r && r->body.find(series) != std::string::npos;
  }
};

}  // namespace

TEST_CASE("attach: an MMS's pictures reach Infinity as the message's attachments", "[serve][media]") {
  Rig rig("MM11111111111111111111111111111111");
  auto urls = rig.pictures(2);
  // As from an account that enforces HTTP auth on media: a redirect to a signed URL.
  urls.push_back(rig.tw.add_redirected_media(rig.sid, "ME00000000000000000000000000000042", std::string(1000, 'r'), "image/jpeg"));
  rig.bytes.push_back(std::string(1000, 'r'));
  rig.post(urls);

  auto m = rig.delivered(1)[0].message;
  CHECK(m["body"]["text"] == kText);
  CHECK_FALSE(m.contains("infinitySmsMedia"));  // internal: never sent
  REQUIRE(m["attachmentIds"].size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(rig.inf.attachment(m["attachmentIds"][i]) == rig.bytes[i]);
  auto basic = "Basic " + sms::crypto::base64_encode(rig.tw.account_sid() + ":" + rig.tw.auth_token());
  for (const auto& r : rig.tw.requests())  // fetched with the account's credentials, which never leave Twilio's API host
    CHECK(r.header("authorization") == (r.path.find("/Media/") != std::string::npos ? basic : ""));

  CHECK(rig.metric("infinity_sms_media_total{direction=\"inbound\",outcome=\"fetched\"} 3"));
  CHECK(rig.metric("infinity_sms_media_total{direction=\"inbound\",outcome=\"uploaded\"} 3"));
  CHECK(rig.metric("infinity_sms_media_bytes_total{direction=\"inbound\",outcome=\"uploaded\"} 5000"));
}

TEST_CASE("attach: simulate-inbound --media-url goes through serve to Infinity as an attachment", "[serve][media][cli]") {
  Rig rig("MM33333333333333333333333333333333");
  auto urls = rig.pictures(1);
  auto r = fakes::run({"--config", rig.s->dir.file("config.json"), "simulate-inbound", "--from", "+15551230001", "--to",
                       "+14155550100", "--body", kText, "--media-url", urls[0], "--url",
                       "http://127.0.0.1:" + std::to_string(rig.s->port) + "/callbacks/twilio/sms"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto m = rig.delivered(1)[0].message;
  CHECK(m["body"]["text"] == kText);
  REQUIRE(m["attachmentIds"].size() == 1);
  CHECK(rig.inf.attachment(m["attachmentIds"][0]) == rig.bytes[0]);
}

TEST_CASE("attach: more than 5 pictures go as several messages, in order, each once", "[serve][media]") {
  Rig rig("MM22222222222222222222222222222222");
  rig.post(rig.pictures(6));

  auto sent = rig.delivered(2);
  CHECK(sent[0].message["correlationId"] == rig.sid + "-1");
  CHECK(sent[1].message["correlationId"] == rig.sid + "-2");
  CHECK(sent[0].message["body"]["text"] == kText);
  REQUIRE(sent[0].message["attachmentIds"].size() == 5);
  REQUIRE(sent[1].message["attachmentIds"].size() == 1);
  std::vector<std::string> got;
  for (const auto& d : sent)
    for (const auto& id : d.message["attachmentIds"]) got.push_back(rig.inf.attachment(id));
  CHECK(got == rig.bytes);
}

TEST_CASE("attach: a media URL on another host is never fetched, the message goes with the link", "[serve][media]") {
  Rig rig("MM33333333333333333333333333333333");
  fakes::FakeTwilio elsewhere(rig.tw.account_sid(), rig.tw.auth_token());  // a forged webhook's target: records requests
  auto urls = rig.pictures(1);
  auto foreign = elsewhere.add_media(rig.sid, "ME99999999999999999999999999999999", "secret", "image/jpeg");
  urls.push_back(foreign);
  urls.push_back("https://evil.example/2010-04-01/Accounts/" + rig.tw.account_sid() + "/Messages/" + rig.sid + "/Media/ME1");
  rig.post(urls);

  auto m = rig.delivered(1)[0].message;
  REQUIRE(m["attachmentIds"].size() == 1);
  CHECK(rig.inf.attachment(m["attachmentIds"][0]) == rig.bytes[0]);
  CHECK(m["body"]["text"] == std::string(kText) + "\n[media not attached] " + foreign + "\n[media not attached] " + urls[2]);
  CHECK(elsewhere.requests().empty());
}

TEST_CASE("attach: a media over relay.maxMediaBytes or of another type than declared goes as a link", "[serve][media]") {
  Rig rig("MM44444444444444444444444444444444", "attach", {{"relay", {{"maxMediaBytes", 4096}}}});
  auto urls = rig.pictures(1, 4096);
  urls.push_back(rig.tw.add_media(rig.sid, "ME00000000000000000000000000000077", std::string(4097, 'L'), "image/jpeg"));
  urls.push_back(rig.tw.add_media(rig.sid, "ME00000000000000000000000000000078", "<html>", "text/html"));
  rig.post(urls, "");

  auto m = rig.delivered(1)[0].message;
  REQUIRE(m["attachmentIds"].size() == 1);
  CHECK(rig.inf.attachment(m["attachmentIds"][0]) == rig.bytes[0]);
  CHECK(m["body"]["text"] == "[media not attached] " + urls[1] + "\n[media not attached] " + urls[2]);
  CHECK(rig.inf.uploads().size() == 1);
}

TEST_CASE("attach: uploads that keep failing are retried, then the media goes as a link, the message once", "[serve][media]") {
  Rig rig("MM55555555555555555555555555555555");
  fakes::Failure unavailable;
  unavailable.path_prefix = kUploads;
  unavailable.times = 100;
  rig.inf.inject(unavailable);
  auto urls = rig.pictures(1);
  rig.post(urls);

  auto m = rig.delivered(1)[0].message;
  CHECK_FALSE(m.contains("attachmentIds"));
  CHECK(m["body"]["text"] == std::string(kText) + "\n[media not attached] " + urls[0]);
  CHECK(rig.inf.count(kUploads) == 3);  // kMediaAttempts
  CHECK(rig.metric("infinity_sms_media_total{direction=\"inbound\",outcome=\"failed\"} 1"));
}

TEST_CASE("attach: an upload that fails once is retried and attached", "[serve][media]") {
  Rig rig("MM66666666666666666666666666666666");
  fakes::Failure unavailable;
  unavailable.path_prefix = kUploads;
  rig.inf.inject(unavailable);
  rig.post(rig.pictures(2));

  auto m = rig.delivered(1)[0].message;
  REQUIRE(m["attachmentIds"].size() == 2);
  CHECK(rig.inf.attachment(m["attachmentIds"][1]) == rig.bytes[1]);
  CHECK(m["body"]["text"] == kText);
}

TEST_CASE("link and drop: nothing is fetched, the text carries the URLs or how many media were dropped", "[serve][media]") {
  Rig link("MM77777777777777777777777777777777", "link");
  auto urls = link.pictures(2);
  link.post(urls);
  CHECK(link.delivered(1)[0].message["body"]["text"] == std::string(kText) + "\n" + urls[0] + "\n" + urls[1]);

  Rig drop("MM88888888888888888888888888888888", "drop");
  drop.post(drop.pictures(2));
  CHECK(drop.delivered(1)[0].message["body"]["text"] == std::string(kText) + "\n[2 media dropped]");

  for (auto* rig : {&link, &drop}) {
    CHECK(rig->tw.count("/2010-04-01/Accounts/" + rig->tw.account_sid() + "/Messages/") == 0);
    CHECK(rig->inf.uploads().empty());
  }
}

TEST_CASE("attach: serve killed in the middle of an upload delivers the message once after its restart", "[serve][media][crash]") {
  Rig rig("MM99999999999999999999999999999999");
  fakes::Failure slow;  // the first upload hangs: serve is killed while it waits
  slow.kind = fakes::Failure::Kind::timeout;
  slow.delay = 1500ms;
  slow.path_prefix = kUploads;
  rig.inf.inject(slow);
  rig.post(rig.pictures(2));

  REQUIRE(rig.inf.wait_for(1, 5s, kUploads));
  std::this_thread::sleep_for(100ms);
  rig.s->child->signal(SIGKILL);
  rig.s->child->wait(5s);
  CHECK(rig.inf.messages().empty());
  rig.s->start();

  auto m = rig.delivered(1)[0].message;
  REQUIRE(m["attachmentIds"].size() == 2);
  CHECK(rig.inf.attachment(m["attachmentIds"][0]) == rig.bytes[0]);
  CHECK(rig.inf.attachment(m["attachmentIds"][1]) == rig.bytes[1]);
}
