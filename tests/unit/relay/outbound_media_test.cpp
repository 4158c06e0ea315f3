// Agents' attachments out as MMS, with the links, the send and the revisions faked.
#include <catch2/catch.hpp>

#include "core/metrics.h"
#include "core/text.h"
#include "infinity/attachments.h"
#include "relay/messages.h"
#include "relay/outbound_media.h"

using namespace sms;
using nlohmann::json;

namespace {

constexpr const char* kInfinity = "https://core.acme.ec.avayacloud.com";

// Infinity's links (relative, made URLs as the Infinity client makes them), Twilio's answers and
// the revisions recorded, with what each send carried.
struct Transport {
  std::map<std::string, Error> link_errors;  // by attachment id; the others get a link
  std::vector<std::string> linked;           // ids asked for, in order
  std::vector<Error> send_errors;            // the next sends' answers, in order; then a sid
  std::vector<twilio::OutgoingSms> sent;     // every send tried, refused ones included
  struct Revision {
    json payload;
    std::string reason, code;
  };
  std::vector<Revision> revisions;

  relay::MmsTransport get() {
    return {[this](const std::string& id) -> Result<std::string> {
              linked.push_back(id);
              if (auto e = link_errors.find(id); e != link_errors.end()) return std::unexpected(e->second);
              return infinity::download_url(kInfinity, "/api/digital/messaging/v1/storage/download-sessions/" + id + "?hmac=ab&expiresAt=1");
            },
            [this](const twilio::OutgoingSms& sms) -> Result<std::string> {
              sent.push_back(sms);
              if (sent.size() <= send_errors.size()) return std::unexpected(send_errors[sent.size() - 1]);
              return "SM" + std::to_string(sent.size());
            },
            [this](const json& payload, const std::string& reason, const std::string& code) -> Result<void> {
              revisions.push_back({payload, reason, code});
              return {};
            }};
  }
};

std::string link(const std::string& id) {
  return std::string(kInfinity) + "/api/digital/messaging/v1/storage/download-sessions/" + id + "?hmac=ab&expiresAt=1";
}

json stored(std::vector<std::string> ids, const std::string& body = "Your invoice") {
  return {{"from", "+15559870002"}, {"to", "+15551230001"}, {"body", body}, {relay::kAttachmentsField, ids}};
}

twilio::OutgoingSms sms_of(const json& p) { return {p["from"], p["to"], p["body"], {}, "https://cb/status"}; }

std::int64_t outbound(const char* outcome) {
  return metrics::registry().counter("infinity_sms_media_total", "", {{"direction", "outbound"}, {"outcome", outcome}}).value();
}

const Error kRefused{ErrorKind::permanent, "Twilio answered HTTP 400 code 21612", 400, "21612", "", {}};

}  // namespace

TEST_CASE("the attachments go as one MMS: the text in Body and a MediaUrl each in order") {
  Transport t;
  auto linked_before = outbound("linked");
  auto sid = relay::send_with_attachments(stored({"a1", "a2", "a3"}), sms_of(stored({})), t.get());
  REQUIRE(sid);
  CHECK(*sid == "SM1");
  REQUIRE(t.sent.size() == 1);
  CHECK(t.sent[0].body == "Your invoice");
  CHECK(t.sent[0].media_urls == std::vector<std::string>{link("a1"), link("a2"), link("a3")});
  CHECK(t.sent[0].status_callback == "https://cb/status");
  CHECK(t.linked == std::vector<std::string>{"a1", "a2", "a3"});
  CHECK(t.revisions.empty());
  CHECK(outbound("linked") == linked_before + 3);
}

TEST_CASE("a link that may come later retries the whole message as our failure and sends nothing") {
  Transport t;
  Error busy{ErrorKind::retryable, "Infinity answered HTTP 429", 429, "Too Many Requests", "", std::chrono::milliseconds(2000)};
  t.link_errors["a2"] = busy;
  auto r = relay::send_with_attachments(stored({"a1", "a2"}), sms_of(stored({})), t.get());
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::internal);  // not Twilio failing, nor Twilio's rate
  CHECK(r.error().http_status == 0);
  CHECK(r.error().provider_code.empty());
  CHECK(r.error().retry_after == std::chrono::milliseconds(2000));
  CHECK(r.error().message.find("attachment 2 of 2") != std::string::npos);
  for (auto kind : {ErrorKind::timeout, ErrorKind::network, ErrorKind::auth, ErrorKind::config}) {
    t.link_errors["a2"] = make_error(kind, "no");
    CHECK(relay::send_with_attachments(stored({"a1", "a2"}), sms_of(stored({})), t.get()).error().kind == ErrorKind::internal);
  }
  CHECK(t.sent.empty());
  CHECK(t.revisions.empty());
}

TEST_CASE("an attachment Infinity refuses a link for is left out and the text says so") {
  Transport t;
  t.link_errors["a1"] = make_error(ErrorKind::permanent, "Infinity answered HTTP 403 Forbidden");
  auto failed_before = outbound("failed");
  REQUIRE(relay::send_with_attachments(stored({"a1", "a2"}), sms_of(stored({})), t.get()));
  REQUIRE(t.revisions.size() == 1);  // recorded before the send
  CHECK(t.revisions[0].reason == "media_unavailable");
  CHECK(t.revisions[0].payload[relay::kAttachmentsField] == json{"a2"});
  CHECK(t.revisions[0].payload["body"] == "Your invoice\n[1 attachment not sent]");
  REQUIRE(t.sent.size() == 1);
  CHECK(t.sent[0].body == "Your invoice\n[1 attachment not sent]");
  CHECK(t.sent[0].media_urls == std::vector<std::string>{link("a2")});
  CHECK(outbound("failed") == failed_before + 1);

  Transport none;  // none left: a text, never an empty MMS
  none.link_errors["a1"] = none.link_errors["a2"] = make_error(ErrorKind::permanent, "404");
  REQUIRE(relay::send_with_attachments(stored({"a1", "a2"}, ""), sms_of(stored({}, "")), none.get()));
  REQUIRE(none.sent.size() == 1);
  CHECK(none.sent[0].body == "[2 attachments not sent]");
  CHECK(none.sent[0].media_urls.empty());
}

TEST_CASE("an MMS Twilio refuses for the number goes once as a text with the links after the revision") {
  Transport t;
  t.send_errors = {kRefused};
  auto fallback_before = outbound("fallback_text");
  auto sid = relay::send_with_attachments(stored({"a1", "a2"}), sms_of(stored({})), t.get());
  REQUIRE(sid);
  CHECK(*sid == "SM2");
  REQUIRE(t.sent.size() == 2);
  CHECK(t.sent[0].media_urls.size() == 2);
  CHECK(t.sent[1].media_urls.empty());
  CHECK(t.sent[1].body == "Your invoice\n" + link("a1") + "\n" + link("a2"));
  REQUIRE(t.revisions.size() == 1);
  CHECK(t.revisions[0].reason == "media_not_supported");
  CHECK(t.revisions[0].code == "21612");
  CHECK(t.revisions[0].payload[relay::kMmsRefusedField] == "21612");
  CHECK(t.revisions[0].payload[relay::kAttachmentsField] == json{"a1", "a2"});  // fresh links at a retry
  CHECK(outbound("fallback_text") == fallback_before + 2);

  // A retry or a restart of the revised message sends the text alone, never the MMS.
  Transport again;
  REQUIRE(relay::send_with_attachments(t.revisions[0].payload, sms_of(t.revisions[0].payload), again.get()));
  REQUIRE(again.sent.size() == 1);
  CHECK(again.sent[0].media_urls.empty());
  CHECK(again.sent[0].body == "Your invoice\n" + link("a1") + "\n" + link("a2"));
  CHECK(again.revisions.empty());
}

TEST_CASE("other refusals of an MMS are the delivery's answer as they are") {
  for (const auto& e : {Error{ErrorKind::permanent, "21211", 400, "21211", "", {}}, Error{ErrorKind::retryable, "503", 503, "", "", {}}}) {
    Transport t;
    t.send_errors = {e};
    auto r = relay::send_with_attachments(stored({"a1"}), sms_of(stored({})), t.get());
    REQUIRE_FALSE(r);
    CHECK(r.error().provider_code == e.provider_code);
    CHECK(r.error().kind == e.kind);
    CHECK(t.sent.size() == 1);
    CHECK(t.revisions.empty());
  }
}

TEST_CASE("a fallback text keeps within 1600 characters and counts the links left out") {
  std::vector<std::string> links(10, "https://core.acme.ec.avayacloud.com/" + std::string(200, 'l'));
  auto body = relay::fallback_body("Your invoice", links);
  CHECK(text::length(body) <= relay::kTwilioBodyLimit);
  CHECK(body.ends_with("\n[4 more attachments not linked]"));
  CHECK(body.rfind("Your invoice\nhttps://", 0) == 0);
  CHECK(relay::fallback_body("", {"https://a/1"}) == "https://a/1");
  CHECK(relay::fallback_body("hi", {}) == "hi");
  // One that does not fit alone is counted in the singular.
  auto full = relay::fallback_body(std::string(1565, 'x'), {"https://a/" + std::string(30, 'z')});
  CHECK(full == std::string(1565, 'x') + "\n[1 more attachment not linked]");
  CHECK(text::length(full) <= relay::kTwilioBodyLimit);
}
