// Send pacing seen from outside: a long code's replies reach (fake) Twilio at 1 segment a second,
// from one serve on SQLite and from two sharing a PostgreSQL store, while another number's
// replies go out beside them, each conversation in order.
#include <algorithm>
#include <map>

#include "fakes/test_database.h"
#include "fakes/timing.h"
#include "serve_fixture.h"

using namespace itest;

namespace {

constexpr int kReplies = 60;
const std::string kLongCode = "+14155550100", kOtherLongCode = "+14155550101";
// Reply 30 is two GSM-7 segments (200 characters): it takes two seconds of its number.
constexpr int kLongReply = 30;

// The configuration of the fakes with the default pacing (fake_config turns it off).
json paced_config(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf) {
  auto cfg = fake_config(tw, inf);
  cfg["relay"].erase("pacing");
  return cfg;
}

std::string text_of(int i) {
  auto t = std::to_string(i);
  return i == kLongReply ? t + " " + std::string(200, 'x') : t;
}

// Agent reply i from `from` into conversation i % 6 (end user +1555000100<i % 6>).
bool post_reply(Serve& s, const fakes::FakeInfinity& inf, const std::string& from, int i) {
  auto event = agent_event(from + "-" + std::to_string(i), inf.connector_id(), text_of(i), json::array({"+1555000100" + std::to_string(i % 6)}));
  event["headers"]["from"] = from;
  auto r = s.post_infinity(event.dump());
  return r && r->status == 200;
}

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The replies from kLongCode went out no faster than 1 segment a second, and not much slower;
// each conversation's in order.
void check_paced(const fakes::FakeTwilio& tw) {
  std::vector<std::pair<std::chrono::steady_clock::time_point, int>> sent;  // (accepted, reply)
  for (const auto& m : tw.messages())
    if (m.field("From") == kLongCode) sent.emplace_back(m.at, std::stoi(m.field("Body")));
  REQUIRE(sent.size() == kReplies);
  std::sort(sent.begin(), sent.end());
  // Reply k goes out k seconds (k + 1 after the two-segment reply) after reply 0. It reaches the
  // fake after an HTTP call whose time varies on a loaded machine (0.1 s seen), so a pair may fall
  // short of its distance by that much; a rate above 1 a second falls further short with every reply.
  std::vector<double> slot{0};  // each reply's slot, in seconds after reply 0's
  std::vector<std::chrono::steady_clock::time_point> times{sent[0].first};
  for (std::size_t k = 1; k < sent.size(); ++k) {
    slot.push_back(slot.back() + (sent[k - 1].second == kLongReply ? 2 : 1));
    times.push_back(sent[k].first);
  }
  CHECK(fakes::worst_shortfall(times, slot) <= 0.25);
  double allowed = slot.back();
  CHECK(seconds(sent.back().first - sent.front().first) <= allowed + 5);  // the rate, not much less
  std::map<int, std::vector<int>> by_conversation;
  for (auto [at, i] : sent) by_conversation[i % 6].push_back(i);
  for (auto& [conversation, replies] : by_conversation) {
    INFO("conversation " << conversation);
    CHECK(std::is_sorted(replies.begin(), replies.end()));
  }
}

}  // namespace

TEST_CASE("a long code sends 1 segment a second over 60 replies while another number's go out beside them", "[serve][pacing]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(paced_config(tw, inf));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kReplies; ++i) REQUIRE(post_reply(s, inf, kLongCode, i));
  for (int i = 0; i < 5; ++i) REQUIRE(post_reply(s, inf, kOtherLongCode, i));
  REQUIRE(tw.wait_for(kReplies + 5, 90s, "/2010-04-01"));
  check_paced(tw);
  // The other long code, at its own 1 a second, was not held up behind the first one's backlog.
  auto other = tw.sent_from(kOtherLongCode);
  REQUIRE(other.size() == 5);
  CHECK(seconds(*std::max_element(other.begin(), other.end()) - start) < 8);
  // Waiting for a slot is no attempt.
  auto stored = s.store()->list(sms::store::State::sent, 100);
  for (const auto& m : *stored) CHECK(m.attempts == 1);
  auto metrics = s.admin_get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("infinity_sms_pacing_total{event=\"held\"}") != std::string::npos);
}

TEST_CASE("two instances on one PostgreSQL store share a long code's 1 segment a second", "[serve][pacing][postgres]") {
  fakes::TestDatabase db;
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = paced_config(tw, inf);
  cfg["store"] = {{"url", db.url()}};
  Serve one(cfg), two(cfg);
  // Replies arrive at both instances (a load balancer's round robin); both deliver.
  for (int i = 0; i < kReplies; ++i) REQUIRE(post_reply(i % 2 ? two : one, inf, kLongCode, i));
  REQUIRE(tw.wait_for(kReplies, 90s, "/2010-04-01"));
  check_paced(tw);
  auto delivered_by = [](Serve& s) {
    auto m = s.admin_get("/metrics");
    REQUIRE(m);
    return m->body.find("infinity_sms_messages_total{direction=\"outbound\",outcome=\"sent\"}") != std::string::npos;
  };
  CHECK(delivered_by(one));
  CHECK(delivered_by(two));
}
