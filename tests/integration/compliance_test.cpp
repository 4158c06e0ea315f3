// Consent and feedback: opt-outs from keywords, OptOutType, Twilio's 21610 and status callbacks;
// replies to opted-out numbers held back; one notice in the conversation per failed reply.
#include <csignal>

#include "fakes/test_database.h"
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

namespace {

constexpr const char* kEndUser = "+14155550199";  // From of real_inbound, headers.to of agent_event
constexpr const char* kBusiness = "+14155550100";

// An end user's SMS to the business number.
sms::form::Fields texted(const std::string& sid, const std::string& body, const std::string& opt_out_type = "") {
  auto f = real_inbound(sid, "AC33333333333333333333333333333333", body);
  if (!opt_out_type.empty()) f.emplace_back("OptOutType", opt_out_type);
  return f;
}

struct Connector {
  explicit Connector(const json& patch = json::object(), bool postgres = false) : outbox(postgres) {
    auto cfg = fake_config(tw, inf);
    outbox.configure(cfg);
    sms::config::merge_into(cfg, patch);
    serve = std::make_unique<Serve>(cfg);
  }

  // The outbox serve uses, whichever the backend.
  std::unique_ptr<sms::store::Store> store() { return outbox.open(*serve); }

  void text(const std::string& sid, const std::string& body, const std::string& opt_out_type = "") {
    auto r = serve->post_twilio("/callbacks/twilio/sms", texted(sid, body, opt_out_type), tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  void reply(const std::string& event_id, const std::string& text = "Hi, how can I help you?") {
    auto r = serve->post_infinity(agent_event(event_id, inf.connector_id(), text).dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  void status(const std::string& sid, const std::string& st, const std::string& error_code) {
    sms::form::Fields f{{"MessageSid", sid}, {"MessageStatus", st}, {"To", kEndUser}, {"From", kBusiness},
                        {"AccountSid", tw.account_sid()}, {"ErrorCode", error_code}, {"ApiVersion", "2010-04-01"}};
    auto r = serve->post_twilio("/callbacks/twilio/status", f, tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  // The messages Infinity received that are notices, in order.
  std::vector<json> notices() const { return notices_in(inf); }

  // The newest outbound message in the outbox.
  sms::store::Message last_reply() { return last_outbound(*store()); }

  // Waits until Infinity accepted `n` messages (failed requests are not counted).
  bool delivered(std::size_t n, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (inf.messages().size() < n)
      if (std::chrono::steady_clock::now() > deadline) return false;
      else std::this_thread::sleep_for(5ms);
    return true;
  }

  std::size_t twilio_sends() const { return tw.count("/2010-04-01/Accounts/"); }

  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Outbox outbox;
  std::unique_ptr<Serve> serve;
};

// STOP, a reply that is held back with one notice, START, a reply that goes out.
void stop_then_reply_then_start(Connector& c) {
  c.text("SM00000000000000000000000000000001", "  Stop ");
  REQUIRE(c.delivered(1, 5s));
  auto stop = c.inf.messages().at(0).message;
  CHECK(stop["body"]["text"] == "  Stop ");  // relayed as the customer wrote it
  CHECK(stop["contextParameters"]["infinitySmsOptOut"] == "stop");
  auto registered = c.store()->list_opt_outs();
  REQUIRE(registered);
  REQUIRE(registered->size() == 1);
  CHECK(registered->at(0).business_number == kBusiness);
  CHECK(registered->at(0).end_user_number == kEndUser);
  CHECK(registered->at(0).source == "keyword");
  CHECK(registered->at(0).keyword == "STOP");

  c.reply("ev-after-stop");
  REQUIRE(c.delivered(2, 5s));  // the notice
  auto dead = c.last_reply();
  CHECK(dead.state == State::dead);
  CHECK(dead.provider_code == "opted_out");
  CHECK(c.twilio_sends() == 0);  // nothing was sent, nothing was charged
  auto notices = c.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["contextParameters"]["infinitySmsNotice"] == "opted_out");
  CHECK(notices[0]["contextParameters"]["infinitySmsOutboxId"] == std::to_string(dead.id));
  CHECK(notices[0]["headers"]["from"] == kEndUser);
  CHECK(notices[0]["headers"]["to"] == json::array({kBusiness}));
  CHECK(notices[0]["connectorId"] == c.inf.connector_id());
  auto metrics = c.serve->admin->Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("\ninfinity_sms_messages_total{direction=\"outbound\",outcome=\"blocked\"} 1\n") != std::string::npos);
  CHECK(metrics->body.find("\ninfinity_sms_optouts 1\n") != std::string::npos);
  CHECK(metrics->body.find("\ninfinity_sms_optout_changes_total{action=\"stop\",source=\"keyword\"} 1\n") != std::string::npos);

  c.text("SM00000000000000000000000000000002", "start");
  REQUIRE(c.delivered(3, 5s));
  auto left = c.store()->count_opt_outs();
  REQUIRE(left);
  CHECK(*left == 0);
  c.reply("ev-after-start");
  REQUIRE(c.tw.wait_for(1, 5s, "/2010-04-01/Accounts/"));
  CHECK(c.tw.messages().at(0).form.find("To")->second == kEndUser);
  std::this_thread::sleep_for(200ms);
  CHECK(c.notices().size() == 1);  // a reply that went out causes no notice
}

}  // namespace

TEST_CASE("after STOP a reply is not sent and the agent gets one notice, after START it is sent (SQLite)", "[serve][compliance]") {
  Connector c;
  stop_then_reply_then_start(c);
}

TEST_CASE("after STOP a reply is not sent and the agent gets one notice, after START it is sent (PostgreSQL)",
          "[serve][compliance][postgres]") {
  Connector c(json::object(), true);
  stop_then_reply_then_start(c);
}

TEST_CASE("Twilio's OptOutType opts out whatever the body says", "[serve][compliance]") {
  Connector c;
  c.text("SM00000000000000000000000000000003", "Arr\xc3\xaatez, merci", "STOP");
  REQUIRE(c.delivered(1, 5s));
  auto r = c.store()->list_opt_outs();
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK(r->at(0).source == "OptOutType");
  c.reply("ev-optouttype");
  REQUIRE(c.serve->wait_state(State::dead, 1));
  CHECK(c.twilio_sends() == 0);
  // A keyword inside a sentence is a message, not an opt-out.
  Connector other;
  other.text("SM00000000000000000000000000000004", "please don't stop writing");
  REQUIRE(other.delivered(1, 5s));
  auto none = other.store()->count_opt_outs();
  REQUIRE(none);
  CHECK(*none == 0);
}

TEST_CASE("a 21610 answer from Twilio records the opt-out, and the next reply is not sent", "[serve][compliance]") {
  Connector c;
  c.tw.fail_with_code(400, 21610, "Attempt to send to unsubscribed recipient");
  c.reply("ev-21610-1");
  REQUIRE(c.delivered(1, 5s));
  auto dead = c.last_reply();
  CHECK(dead.state == State::dead);
  CHECK(dead.provider_code == "21610");
  auto notices = c.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["contextParameters"]["infinitySmsNotice"] == "opted_out");
  auto opted = c.store()->opted_out(kBusiness, kEndUser);
  REQUIRE(opted);
  CHECK(*opted);
  auto sends = c.twilio_sends();
  c.reply("ev-21610-2");
  REQUIRE(c.delivered(2, 5s));
  CHECK(c.twilio_sends() == sends);
  CHECK(c.last_reply().provider_code == "opted_out");
}

TEST_CASE("an undelivered status callback sent twice gives the agent exactly one notice", "[serve][compliance]") {
  Connector c;
  c.reply("ev-undelivered");
  REQUIRE(c.tw.wait_for(1, 5s, "/2010-04-01/Accounts/"));
  REQUIRE(c.serve->wait_state(State::sent, 1));
  auto sid = c.tw.messages().at(0).sid;
  c.status(sid, "undelivered", "30007");
  c.status(sid, "undelivered", "30007");  // Twilio may call back more than once
  REQUIRE(c.delivered(1, 5s));
  std::this_thread::sleep_for(300ms);
  auto notices = c.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["contextParameters"]["infinitySmsNotice"] == "carrier_blocked");
  CHECK(notices[0]["body"]["text"].get<std::string>().find("30007") != std::string::npos);
  CHECK(c.last_reply().state == State::failed);
  auto none = c.store()->count_opt_outs();
  REQUIRE(none);
  CHECK(*none == 0);  // 30007 is no opt-out

  // ErrorCode 21610 in a callback is one.
  c.reply("ev-undelivered-2");
  REQUIRE(c.tw.wait_for(2, 5s, "/2010-04-01/Accounts/"));
  REQUIRE(c.serve->wait_state(State::sent, 2));  // the first notice, and this reply (its sid recorded)
  c.status(c.tw.messages().at(1).sid, "failed", "21610");
  REQUIRE(c.delivered(2, 5s));
  auto opted = c.store()->opted_out(kBusiness, kEndUser);
  REQUIRE(opted);
  CHECK(*opted);
}

TEST_CASE("a notice waiting for Infinity survives a SIGKILL and is delivered once", "[serve][compliance]") {
  Connector c;
  c.inf.inject({fakes::Failure::Kind::status, 503, "{}", "application/json", {}, 3000ms, 1,
                std::chrono::steady_clock::now() + 60s, "/api/digital"});
  c.text("SM00000000000000000000000000000005", "STOP");
  c.reply("ev-kill");
  REQUIRE(c.serve->wait_state(State::dead, 1));
  c.serve->child->signal(SIGKILL);
  c.serve->child->wait(5s);
  c.inf.clear_failures();
  c.serve->start();
  REQUIRE(c.delivered(2, 10s));  // the STOP (accepted) and the notice
  std::this_thread::sleep_for(300ms);
  auto notices = c.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["contextParameters"]["infinitySmsNotice"] == "opted_out");
  // The STOP came before the notice, as in the conversation.
  CHECK(c.inf.messages().front().message["contextParameters"]["infinitySmsOptOut"] == "stop");
}

TEST_CASE("compliance.enforceOptOut false sends to opted-out numbers, and notifyAgent false sends no notice", "[serve][compliance]") {
  Connector lax(json{{"compliance", {{"enforceOptOut", false}}}});
  lax.text("SM00000000000000000000000000000006", "STOP");
  REQUIRE(lax.delivered(1, 5s));
  lax.reply("ev-lax");
  REQUIRE(lax.tw.wait_for(1, 5s, "/2010-04-01/Accounts/"));

  Connector quiet(json{{"compliance", {{"notifyAgent", false}}}});
  quiet.text("SM00000000000000000000000000000007", "STOP");
  REQUIRE(quiet.delivered(1, 5s));
  quiet.reply("ev-quiet");
  REQUIRE(quiet.serve->wait_state(State::dead, 1));
  std::this_thread::sleep_for(300ms);
  CHECK(quiet.notices().empty());
  CHECK(quiet.twilio_sends() == 0);
}

TEST_CASE("an expired reply gives the agent a notice", "[serve][compliance]") {
  Connector c(json{{"relay", {{"outboundMaxAge", "300ms"}}}});
  c.tw.inject({fakes::Failure::Kind::status, 503, "{}", "application/json", {}, 3000ms, 1,
               std::chrono::steady_clock::now() + 60s, "/2010-04-01"});
  c.reply("ev-expire");
  REQUIRE(c.serve->wait_state(State::expired, 1));
  REQUIRE(c.delivered(1, 5s));
  auto notices = c.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["contextParameters"]["infinitySmsNotice"] == "expired");
}
