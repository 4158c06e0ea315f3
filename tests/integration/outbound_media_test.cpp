// Agents' attachments out as MMS, end to end against the fakes: Infinity's download links as
// Twilio's MediaUrl, retried while Infinity cannot give them, and a text with the links and one
// notice to the agent when Twilio refuses the MMS for the number; on SQLite and PostgreSQL.
#include <csignal>

#include "relay/outbound_media.h"
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

namespace {

constexpr const char* kDownloadUri = "/api/digital/messaging/v1/attachments/signed-download-uri";
constexpr const char* kText = "Your invoice and the form";

// A serve beside a fake Twilio and a fake Infinity, on SQLite or a fresh PostgreSQL database.
struct Rig {
  explicit Rig(bool postgres = false) : outbox(postgres) {
    auto cfg = fake_config(tw, inf);
    outbox.configure(cfg);
    s = std::make_unique<Serve>(cfg);
  }

  std::unique_ptr<sms::store::Store> store() { return outbox.open(*s); }

  // An agent's message with attachments (body.type file), answered 200.
  void reply(const std::string& event_id, const std::string& text, const json& attachment_ids) {
    auto e = agent_event(event_id, inf.connector_id(), text);
    e["body"]["type"] = "file";
    if (text.empty()) e["body"].erase("text");
    e["attachmentIds"] = attachment_ids;
    auto r = s->post_infinity(e.dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  // The link Twilio is given for an attachment: the fake's relative URI on the Infinity host.
  std::string link(const std::string& attachment_id) const { return inf.url() + fakes::FakeInfinity::download_uri(attachment_id); }

  // What Twilio accepted, once there are `n` messages marked sent in the outbox, and a moment
  // passed in which no other came.
  std::vector<fakes::FakeTwilio::Sent> sent(std::int64_t n) {
    auto stored = store();
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((*stored->counts())[State::sent] < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    REQUIRE((*stored->counts())[State::sent] >= n);
    std::this_thread::sleep_for(300ms);
    auto accepted = tw.messages();
    REQUIRE(accepted.size() == static_cast<std::size_t>(n));
    return accepted;
  }

  // The notices Infinity accepted, after waiting up to 5 s for `at_least` of them.
  std::vector<json> notices(std::size_t at_least) const {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (notices_in(inf).size() < at_least && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return notices_in(inf);
  }

  sms::store::Message last_reply() { return last_outbound(*store()); }

  bool metric(const std::string& series) {
    auto r = s->admin->Get("/metrics");
    return r && r->body.find("\n" + series + "\n") != std::string::npos;
  }

  // Requests to Twilio's Messages API that carried a MediaUrl, refused ones included.
  std::size_t mms_tried() const {
    std::size_t n = 0;
    for (const auto& r : tw.requests())
      if (r.path.ends_with("/Messages.json") && r.body.find("MediaUrl=") != std::string::npos) ++n;
    return n;
  }

  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Outbox outbox;
  std::unique_ptr<Serve> s;
};

void goes_as_one_mms(Rig& rig) {
  rig.reply("ev-mms-1", kText, {"att-invoice", "att-form"});
  auto m = rig.sent(1)[0];
  CHECK(m.field("Body") == kText);
  CHECK(m.fields("MediaUrl") == std::vector<std::string>{rig.link("att-invoice"), rig.link("att-form")});
  auto asked = rig.inf.downloads();
  REQUIRE(asked.size() == 2);
  CHECK(asked[0].attachment_id == "att-invoice");
  CHECK(asked[1].integration_id == rig.inf.connector_id());
  for (const auto& r : rig.inf.requests())
    if (r.path == kDownloadUri) CHECK(r.header("authorization").starts_with("Bearer "));
  // The outbox keeps the ids, never a link (links expire; they are asked for at each delivery).
  auto stored = json::parse(rig.last_reply().payload);
  CHECK(stored[sms::relay::kAttachmentsField] == json{"att-invoice", "att-form"});
  CHECK(rig.last_reply().payload.find("download-sessions") == std::string::npos);
  CHECK(rig.metric("infinity_sms_media_total{direction=\"outbound\",outcome=\"linked\"} 2"));

  rig.reply("ev-mms-2", "", {"att-photo"});  // a file without text: no Body at all
  auto photo = rig.sent(2)[1];
  CHECK(photo.form.count("Body") == 0);
  CHECK(photo.fields("MediaUrl") == std::vector<std::string>{rig.link("att-photo")});
}

void falls_back_to_a_text(Rig& rig) {
  rig.tw.refuse_mms(true);
  rig.reply("ev-mms-refused", kText, {"att-1", "att-2"});
  auto m = rig.sent(1)[0];
  CHECK(m.fields("MediaUrl").empty());
  CHECK(m.field("Body") == std::string(kText) + "\n" + rig.link("att-1") + "\n" + rig.link("att-2"));
  CHECK(rig.mms_tried() == 1);
  auto notices = rig.notices(1);
  REQUIRE(notices.size() == 1);
  auto reply = rig.last_reply();
  CHECK(notices[0]["contextParameters"]["infinitySmsNotice"] == "media_not_supported");
  CHECK(notices[0]["contextParameters"]["infinitySmsOutboxId"] == std::to_string(reply.id));
  CHECK(notices[0]["body"]["text"].get<std::string>().find("Twilio error 21612") != std::string::npos);
  CHECK(reply.state == State::sent);
  CHECK(json::parse(reply.payload)[sms::relay::kMmsRefusedField] == "21612");
  auto attempts = *rig.store()->attempts(reply.id);
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].outcome == "revised");
  CHECK(attempts[1].outcome == "sent");
  CHECK(rig.metric("infinity_sms_media_total{direction=\"outbound\",outcome=\"fallback_text\"} 2"));
  std::this_thread::sleep_for(300ms);
  CHECK(rig.notices(1).size() == 1);
}

}  // namespace

TEST_CASE("an agent's attachments go out as one MMS with their download links and the text (SQLite)", "[serve][media]") {
  Rig rig;
  goes_as_one_mms(rig);
}

TEST_CASE("an agent's attachments go out as one MMS with their download links and the text (PostgreSQL)", "[serve][media]") {
  Rig rig(true);
  goes_as_one_mms(rig);
}

TEST_CASE("download links that Infinity cannot give yet retry the message and the MMS goes once", "[serve][media]") {
  Rig rig;
  fakes::Failure unavailable;  // 503 twice
  unavailable.path_prefix = kDownloadUri;
  unavailable.times = 2;
  rig.inf.inject(unavailable);
  rig.reply("ev-mms-later", kText, {"att-1"});
  auto m = rig.sent(1)[0];
  CHECK(m.fields("MediaUrl") == std::vector<std::string>{rig.link("att-1")});
  CHECK(rig.inf.count(kDownloadUri) == 3);
  CHECK(rig.tw.count("/2010-04-01/") == 1);
  CHECK(rig.metric("infinity_sms_messages_total{direction=\"outbound\",outcome=\"retry\"} 2"));
}

TEST_CASE("Twilio refusing the MMS for the number gives one text with the links and one notice (SQLite)", "[serve][media]") {
  Rig rig;
  falls_back_to_a_text(rig);
}

TEST_CASE("Twilio refusing the MMS for the number gives one text with the links and one notice (PostgreSQL)", "[serve][media]") {
  Rig rig(true);
  falls_back_to_a_text(rig);
}

TEST_CASE("an attachment Infinity refuses a link for goes without it and the agent is told", "[serve][media]") {
  Rig rig;
  fakes::Failure forbidden;
  forbidden.status = 403;
  forbidden.body = R"({"type":"about:blank","title":"Forbidden","status":403})";
  forbidden.path_prefix = kDownloadUri;
  rig.inf.inject(forbidden);
  rig.reply("ev-mms-forbidden", kText, {"att-gone", "att-ok"});
  auto m = rig.sent(1)[0];
  CHECK(m.field("Body") == std::string(kText) + "\n[1 attachment not sent]");
  CHECK(m.fields("MediaUrl") == std::vector<std::string>{rig.link("att-ok")});
  auto notices = rig.notices(1);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["contextParameters"]["infinitySmsNotice"] == "media_unavailable");
  CHECK(rig.metric("infinity_sms_media_total{direction=\"outbound\",outcome=\"failed\"} 1"));
}

TEST_CASE("serve killed while the text that replaces a refused MMS is sent sends that text once after its restart", "[serve][media][crash]") {
  Rig rig;
  rig.tw.fail_with_code(400, 21612, "The 'To' phone number is not currently reachable via MMS.");
  fakes::Failure slow;  // then the text hangs: serve is killed while it waits
  slow.kind = fakes::Failure::Kind::timeout;
  slow.delay = 1500ms;
  slow.path_prefix = "/2010-04-01/";
  rig.tw.inject(slow);
  rig.reply("ev-mms-crash", kText, {"att-1"});

  REQUIRE(rig.tw.wait_for(2, 5s, "/2010-04-01/"));
  std::this_thread::sleep_for(100ms);
  rig.s->child->signal(SIGKILL);
  rig.s->child->wait(5s);
  CHECK(rig.tw.messages().empty());
  rig.s->start();

  auto m = rig.sent(1)[0];
  CHECK(m.fields("MediaUrl").empty());
  CHECK(m.field("Body") == std::string(kText) + "\n" + rig.link("att-1"));
  CHECK(rig.mms_tried() == 1);  // the revision was written before the text: never the MMS again
  std::this_thread::sleep_for(300ms);
  CHECK(rig.notices(1).size() == 1);
}
