// Infinity webhook events as values: what is lenient, what is refused, and attachments.
#include <catch2/catch.hpp>

#include "infinity/event.h"

using namespace sms;

namespace {

// An agent's message with `extra` (JSON object members) and `body` (a JSON value) spliced in.
std::string message_event(const std::string& body, const std::string& extra = "") {
  return R"({"eventType":"messages","eventId":"e1","headers":{"from":"+1555","to":["+1666"]},"body":)" + body +
         (extra.empty() ? "" : "," + extra) + "}";
}

}  // namespace

TEST_CASE("events parse leniently where Infinity varied and strictly where it matters") {
  auto e = infinity::parse_event(R"({"eventType":"MESSAGES","eventId":"e1","messageId":"m1","connectorId":"c",
    "conversationSessionId":"s","channel":"TEXT","headers":{"from":"+1555","to":[14155550199,"+1666"]},
    "body":{"text":"hi"},"sender":{"type":"AGENT"}})");
  REQUIRE(e);
  CHECK(e->event_type == "messages");
  CHECK(e->channel == "text");
  CHECK(e->sender_type == "agent");
  CHECK(e->to == std::vector<std::string>{"+14155550199", "+1666"});
  CHECK(infinity::is_outbound_message(*e));
  e->sender_type = "customer";
  CHECK_FALSE(infinity::is_outbound_message(*e));

  auto hc = infinity::parse_event(R"({"eventType":"health_check"})");
  REQUIRE(hc);
  CHECK(hc->event_type == "health_check");
  CHECK_FALSE(infinity::is_outbound_message(*hc));

  struct Bad {
    const char* body;
    const char* mentions;
  };
  for (auto b : std::vector<Bad>{
           {"", "JSON"},
           {"{\"eventType\":", "JSON"},
           {"[1]", "object"},
           {"{}", "eventType"},
           {"{\"eventType\":null}", "eventType"},
           {"{\"eventType\":\"messages\",\"eventId\":5}", "eventId must be a string"},
           {"{\"eventType\":\"health_check\",\"connectorId\":[\"c\"]}", "connectorId must be a string"},
           {"{\"eventType\":\"messages\",\"sender\":\"agent\"}", "sender must be an object"},
           {"{\"eventType\":\"messages\",\"eventId\":\"a\",\"eventId\":\"b\"}", "duplicate key"},
           {"{\"eventType\":\"messages\",\"eventId\":\"e\",\"headers\":{\"from\":\"+1\",\"to\":[\"+2222222222222222222222222222222222222222222222222222222222222222222\"]},\"body\":{\"text\":\"x\"}}", "too long"},
           {"{\"eventType\":\"messages\",\"headers\":{\"from\":\"+1\",\"to\":[\"+2\"]},\"body\":{\"text\":\"x\"}}", "eventId"},
           {"{\"eventType\":\"messages\",\"eventId\":\"e\",\"body\":{\"text\":\"x\"}}", "headers"},
           {"{\"eventType\":\"messages\",\"eventId\":\"e\",\"headers\":{\"from\":\"+1\",\"to\":\"+2\"},\"body\":{\"text\":\"x\"}}", "headers.to"},
           {"{\"eventType\":\"messages\",\"eventId\":\"e\",\"headers\":{\"from\":\"+1\",\"to\":[]},\"body\":{\"text\":\"x\"}}", "headers.to"},
           {"{\"eventType\":\"messages\",\"eventId\":\"e\",\"headers\":{\"from\":null,\"to\":[\"+2\"]},\"body\":{\"text\":\"x\"}}", "headers.from"},
           {"{\"eventType\":\"messages\",\"eventId\":\"e\",\"headers\":{\"from\":\"+1\",\"to\":[\"+2\"]},\"body\":{\"text\":5}}", "body.text"},
       }) {
    INFO(b.body);
    auto r = infinity::parse_event(b.body);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.find(b.mentions) != std::string::npos);
  }
  std::string deep(100000, '[');
  CHECK_FALSE(infinity::parse_event(deep));
}

TEST_CASE("attachmentIds at the root or in body go with the event and may stand without text") {
  auto root = infinity::parse_event(message_event(R"({"type":"file"})", R"("attachmentIds":["a1","a2"])"));
  REQUIRE(root);
  CHECK(root->attachment_ids == std::vector<std::string>{"a1", "a2"});
  CHECK(root->text.empty());

  auto in_body = infinity::parse_event(message_event(R"({"type":"FILE","text":"","attachmentIds":["b1"]})"));
  REQUIRE(in_body);
  CHECK(in_body->attachment_ids == std::vector<std::string>{"b1"});

  // The root's list wins over body's; text beside attachments is kept.
  auto both = infinity::parse_event(message_event(R"({"text":"invoice","attachmentIds":["b1"]})", R"("attachmentIds":["r1"])"));
  REQUIRE(both);
  CHECK(both->attachment_ids == std::vector<std::string>{"r1"});
  CHECK(both->text == "invoice");

  auto no_body = infinity::parse_event(message_event("null", R"("attachmentIds":["a1"])"));
  REQUIRE(no_body);
  CHECK(no_body->attachment_ids.size() == 1);

  auto ten = infinity::parse_event(message_event(R"({"text":"x"})", R"("attachmentIds":["1","2","3","4","5","6","7","8","9","10"])"));
  REQUIRE(ten);
  CHECK(ten->attachment_ids.size() == infinity::kMaxAttachmentIds);
  auto longest = std::string(infinity::kMaxAttachmentIdLength, 'x');
  auto at_length = infinity::parse_event(message_event(R"({"text":"x"})", R"("attachmentIds":[")" + longest + R"("])"));
  REQUIRE(at_length);
  CHECK(at_length->attachment_ids[0] == longest);

  auto plain = infinity::parse_event(message_event(R"({"text":"hi","attachmentIds":null})"));
  REQUIRE(plain);
  CHECK(plain->attachment_ids.empty());
}

TEST_CASE("a messages event without text needs attachments and bad attachmentIds shapes are refused with the reason") {
  struct Bad {
    std::string body;
    const char* mentions;
  };
  for (const auto& b : std::vector<Bad>{
           {message_event(R"({"type":"file"})"), "body.text is required"},
           {message_event(R"({"type":"file","attachmentIds":[]})"), "body.text is required"},
           {message_event("null", R"("attachmentIds":[])"), "body.text is required"},
           {message_event(R"({"text":null})"), "body.text is required"},
           {message_event(R"("text")", R"("attachmentIds":["a"])"), "body must be an object"},
           {message_event(R"({"text":"x"})", R"("attachmentIds":"a1")"), "attachmentIds must be an array"},
           {message_event(R"({"text":"x","attachmentIds":{"id":"a"}})"), "body.attachmentIds must be an array"},
           {message_event(R"({"text":"x"})", R"("attachmentIds":[7])"), "attachmentIds[] must be non-empty strings"},
           {message_event(R"({"text":"x"})", R"("attachmentIds":[""])"), "attachmentIds[] must be non-empty strings"},
           {message_event(R"({"text":"x"})", R"("attachmentIds":[["a"]])"), "attachmentIds[] must be non-empty strings"},
           {message_event(R"({"text":"x"})", R"("attachmentIds":[")" + std::string(51, 'x') + R"("])"), "at most 50 bytes"},
           {message_event(R"({"text":"x"})", R"("attachmentIds":["1","2","3","4","5","6","7","8","9","10","11"])"),
            "lists 11 attachments: at most 10"},
           {message_event(R"({"attachmentIds":["a"],"text":5})"), "body.text"},
       }) {
    INFO(b.body);
    auto r = infinity::parse_event(b.body);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.find(b.mentions) != std::string::npos);
  }
}
