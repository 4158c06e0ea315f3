// The admin API an operator's console reads: pages of the outbox with filters and paging, one
// message with its attempts, retrying dead letters, and the last hour's throughput.
#include <algorithm>
#include <set>

#include "core/clock.h"
#include "fakes/test_database.h"
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

namespace {

constexpr const char* kBusiness = "+14155550100";  // real_inbound's To

std::string end_user(int i) { return "+1415555" + std::to_string(1000 + i); }
std::string sid(int i) { return "SM" + std::string(28, '0') + std::to_string(1000 + i); }

// `n` inbound SMS from end_user(i % 3), each its own MessageSid; returns when Infinity has them.
void post_inbound(Serve& s, const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, int n) {
  for (int i = 0; i < n; ++i) {
    auto form = real_inbound(sid(i), tw.account_sid(), "hello " + std::to_string(i));
    for (auto& [k, v] : form)
      if (k == "From") v = end_user(i % 3);
    auto r = s.post_twilio("/callbacks/twilio/sms", form, tw.auth_token());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  REQUIRE(inf.wait_for(static_cast<std::size_t>(n), 10s, "/api/digital"));
}

// The same, and returns when the (SQLite) outbox has them sent.
void send_inbound(Serve& s, const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, int n) {
  post_inbound(s, tw, inf, n);
  REQUIRE(s.wait_state(State::sent, n));
}

json get_json(Serve& s, const std::string& path, int status = 200) {
  auto r = s.admin_get(path);
  REQUIRE(r);
  INFO(path << " → " << r->body);
  REQUIRE(r->status == status);
  return json::parse(r->body);
}

json post_json(Serve& s, const std::string& path, int status = 200) {
  auto r = s.admin_post(path, json::object());
  REQUIRE(r);
  INFO(path << " → " << r->body);
  REQUIRE(r->status == status);
  return json::parse(r->body);
}

// Whether message `id` reaches `state` within 5 s.
bool wait_for_state(Serve& s, const std::string& id, const std::string& state) {
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(10ms))
    if (get_json(s, "/api/messages/" + id)["state"] == state) return true;
  return false;
}

// The ids of every page of `query`, `limit` at a time, following next.
std::vector<std::int64_t> all_pages(Serve& s, const std::string& query, int limit) {
  std::vector<std::int64_t> ids;
  std::string before;
  for (int pages = 0; pages < 50; ++pages) {
    auto page = get_json(s, "/api/messages?limit=" + std::to_string(limit) + query + before);
    CHECK(page["messages"].size() <= static_cast<std::size_t>(limit));
    for (const auto& m : page["messages"]) ids.push_back(m["id"]);
    if (page["next"].is_null()) return ids;
    CHECK(page["next"] == ids.back());
    before = "&before=" + std::to_string(page["next"].get<std::int64_t>());
  }
  FAIL("more than 50 pages");
  return ids;
}

}  // namespace

TEST_CASE("the console API needs the admin token on every endpoint, and only on the admin listener", "[serve][console]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  for (auto [method, path] : {std::pair{"GET", "/api/messages"}, std::pair{"GET", "/api/messages/1"},
                              std::pair{"POST", "/api/messages/1/retry"}, std::pair{"POST", "/api/messages/retry-dead"},
                              std::pair{"GET", "/api/throughput"}}) {
    INFO(method << " " << path);
    for (const std::string token : {"", "wrong-token"}) {
      httplib::Headers h;
      if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
      auto r = std::string(method) == "GET" ? s.admin->Get(path, h) : s.admin->Post(path, h, "", "application/json");
      REQUIRE(r);
      CHECK(r->status == 401);
      CHECK(json::parse(r->body)["error"]["code"] == "unauthorized");
    }
    auto webhook = std::string(method) == "GET" ? s.client->Get(path) : s.client->Post(path, "", "application/json");
    REQUIRE(webhook);
    CHECK(webhook->status == 404);
  }
}

TEST_CASE("GET /api/messages pages the outbox newest first and filters it, numbers shown only when revealed", "[serve][console]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  send_inbound(s, tw, inf, 30);
  REQUIRE(s.post_infinity(agent_event("ev-console-1", inf.connector_id()).dump())->status == 200);
  REQUIRE(tw.wait_for(1, 5s, "/2010-04-01"));
  REQUIRE(s.wait_state(State::sent, 31));

  auto ids = all_pages(s, "", 7);
  CHECK(ids.size() == 31);
  CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == 31);   // no repeats
  CHECK(std::is_sorted(ids.rbegin(), ids.rend()));                       // newest first
  CHECK(all_pages(s, "", 500) == ids);

  auto first = get_json(s, "/api/messages?limit=1");
  REQUIRE(first["messages"].size() == 1);
  auto newest = first["messages"][0];
  CHECK(newest["direction"] == "outbound");
  CHECK(newest["state"] == "sent");
  CHECK(newest["sourceId"] == "ev-console-1");
  CHECK(newest["tenant"] == "default");
  CHECK(newest["providerId"].get<std::string>().rfind("SM", 0) == 0);
  CHECK(newest["attempts"] == 1);
  for (const char* key : {"createdAt", "updatedAt", "nextAttemptAt"}) CHECK(sms::parse_iso8601(newest[key].get<std::string>()));
  CHECK(newest["lastError"] == "");
  CHECK(newest["providerCode"] == "");
  // Numbers as the logs write them, unless revealed.
  CHECK(newest["conversation"] == "***0199|***0100");
  CHECK(get_json(s, "/api/messages?limit=1&reveal=true")["messages"][0]["conversation"] == "+14155550199|+14155550100");
  CHECK(first.dump().find("+1415555") == std::string::npos);

  // Filters, alone and together, with paging.
  CHECK(all_pages(s, "&direction=inbound", 4).size() == 30);
  CHECK(all_pages(s, "&direction=outbound", 4).size() == 1);
  CHECK(all_pages(s, "&state=sent", 10).size() == 31);
  CHECK(all_pages(s, "&state=dead", 10).empty());
  CHECK(all_pages(s, "&number=" + end_user(1), 3).size() == 10);  // + written as it is
  CHECK(all_pages(s, "&number=%2B" + end_user(2).substr(1) + "&direction=inbound", 3).size() == 10);
  CHECK(all_pages(s, "&number=%2B14155550100", 50).size() == 31);  // the business number: every one
  CHECK(all_pages(s, "&number=%2B14155550199", 50).size() == 1);   // the agent's reply's end user
  auto by_sid = get_json(s, "/api/messages?q=" + sid(17));
  REQUIRE(by_sid["messages"].size() == 1);
  CHECK(by_sid["messages"][0]["sourceId"] == sid(17));
  CHECK(by_sid["next"].is_null());
  auto by_id = get_json(s, "/api/messages?q=" + std::to_string(ids[5]) + "&limit=500");
  CHECK(std::any_of(by_id["messages"].begin(), by_id["messages"].end(), [&](const json& m) { return m["id"] == ids[5]; }));
  auto provider_id = newest["providerId"].get<std::string>();
  CHECK(get_json(s, "/api/messages?q=" + provider_id)["messages"][0]["id"] == newest["id"]);

  // One message, with its attempts.
  auto one = get_json(s, "/api/messages/" + std::to_string(newest["id"].get<std::int64_t>()));
  CHECK(one["sourceId"] == "ev-console-1");
  CHECK(one["conversation"] == "***0199|***0100");
  REQUIRE(one["attemptHistory"].size() == 1);
  CHECK(one["attemptHistory"][0]["outcome"] == "sent");
  CHECK(one["attemptHistory"][0]["detail"] == provider_id);
  CHECK(get_json(s, "/api/messages/999999", 404)["error"]["code"] == "message_not_found");
}

TEST_CASE("GET /api/messages pages a shared PostgreSQL outbox the same way", "[serve][console]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  fakes::TestDatabase db;
  auto cfg = fake_config(tw, inf);
  cfg["store"] = {{"url", db.url()}};
  Serve s(cfg);
  post_inbound(s, tw, inf, 12);
  std::vector<std::int64_t> ids;
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms))
    if ((ids = all_pages(s, "&state=sent", 5)).size() == 12) break;
  CHECK(ids.size() == 12);
  CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == 12);
  CHECK(std::is_sorted(ids.rbegin(), ids.rend()));
  CHECK(all_pages(s, "&number=" + end_user(0), 2).size() == 4);
  CHECK(get_json(s, "/api/messages?q=" + sid(3))["messages"][0]["sourceId"] == sid(3));
}

TEST_CASE("bad parameters of the console API answer 400 naming the parameter", "[serve][console]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  for (auto [query, name] : {std::pair{"direction=sideways", "direction"}, std::pair{"state=lost", "state"},
                             std::pair{"number=5551234", "number"}, std::pair{"limit=0", "limit"}, std::pair{"limit=501", "limit"},
                             std::pair{"limit=ten", "limit"}, std::pair{"before=-3", "before"}, std::pair{"before=", "before"},
                             std::pair{"reveal=yes", "reveal"}, std::pair{"colour=red", "colour"}}) {
    auto error = get_json(s, std::string("/api/messages?") + query, 400)["error"];
    CHECK(error["code"] == "invalid_parameter");
    CHECK(error["message"].get<std::string>().find(name) != std::string::npos);
  }
  CHECK(get_json(s, "/api/messages?q=" + std::string(101, 'x'), 400)["error"]["message"].get<std::string>().rfind("q:", 0) == 0);
  CHECK(get_json(s, "/api/messages/abc", 400)["error"]["code"] == "invalid_parameter");
  CHECK(post_json(s, "/api/messages/0/retry", 400)["error"]["message"].get<std::string>().rfind("id:", 0) == 0);
}

TEST_CASE("a dead letter retried through the console API goes out at once, and retry-dead takes every dead one", "[serve][console]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  tw.fail_with_code(400, 21211, "The 'To' number +14155550199 is not a valid phone number.", 2);
  Serve s(fake_config(tw, inf));
  REQUIRE(s.post_infinity(agent_event("ev-dead-1", inf.connector_id()).dump())->status == 200);
  REQUIRE(s.wait_state(State::dead, 1));
  REQUIRE(s.post_infinity(agent_event("ev-dead-2", inf.connector_id()).dump())->status == 200);
  REQUIRE(s.wait_state(State::dead, 2));

  auto dead = get_json(s, "/api/messages?state=dead");
  REQUIRE(dead["messages"].size() == 2);
  auto first = dead["messages"][1];
  CHECK(first["sourceId"] == "ev-dead-1");
  CHECK(first["providerCode"] == "21211");
  // The error names the end user's number: hidden like the conversation's, unless revealed.
  CHECK(first["lastError"].get<std::string>().find("***0199") != std::string::npos);
  CHECK(first["lastError"].get<std::string>().find("+14155550199") == std::string::npos);
  auto id = std::to_string(first["id"].get<std::int64_t>());
  auto shown = get_json(s, "/api/messages/" + id + "?reveal=true");
  CHECK(shown["lastError"].get<std::string>().find("+14155550199") != std::string::npos);
  REQUIRE(shown["attemptHistory"].size() == 1);
  CHECK(shown["attemptHistory"][0]["outcome"] == "dead");

  CHECK(post_json(s, "/api/messages/" + id + "/retry") == json{{"retried", 1}});
  REQUIRE(tw.wait_for(3, 5s, "/2010-04-01"));  // two refused, then this one accepted
  REQUIRE(tw.messages().size() == 1);
  CHECK(tw.messages()[0].field("Body") == "Hi, how can I help you?");
  CHECK(wait_for_state(s, id, "sent"));

  // Only a message that ended in failure can be retried; an unknown one is not found.
  auto refused = post_json(s, "/api/messages/" + id + "/retry", 409)["error"];
  CHECK(refused["code"] == "not_retryable");
  CHECK(refused["message"].get<std::string>().find("is sent") != std::string::npos);
  CHECK(post_json(s, "/api/messages/999999/retry", 404)["error"]["code"] == "message_not_found");

  CHECK(post_json(s, "/api/messages/retry-dead") == json{{"retried", 1}});
  REQUIRE(tw.wait_for(4, 5s, "/2010-04-01"));
  CHECK(tw.messages().size() == 2);
  CHECK(post_json(s, "/api/messages/retry-dead") == json{{"retried", 0}});
}

TEST_CASE("GET /api/throughput counts this hour's deliveries per minute, the current minute last", "[serve][console]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto before = std::chrono::system_clock::now();
  send_inbound(s, tw, inf, 5);
  REQUIRE(s.post_infinity(agent_event("ev-throughput", inf.connector_id()).dump())->status == 200);
  REQUIRE(s.wait_state(State::sent, 6));
  auto minutes = get_json(s, "/api/throughput")["minutes"];
  REQUIRE(minutes.size() == 60);
  std::int64_t inbound = 0, outbound = 0;
  for (std::size_t i = 0; i < minutes.size(); ++i) {
    auto at = sms::parse_iso8601(minutes[i]["at"].get<std::string>());
    REQUIRE(at);
    if (i > 0) CHECK(*at - *sms::parse_iso8601(minutes[i - 1]["at"].get<std::string>()) == std::chrono::minutes(1));
    inbound += minutes[i]["inbound"].get<std::int64_t>();
    outbound += minutes[i]["outbound"].get<std::int64_t>();
  }
  CHECK(inbound == 5);
  CHECK(outbound == 1);
  // Counted in the minute they were sent: this one, or the one before if the minute turned.
  auto last = minutes[59], previous = minutes[58];
  CHECK(last["inbound"].get<std::int64_t>() + previous["inbound"].get<std::int64_t>() == 5);
  CHECK(*sms::parse_iso8601(last["at"].get<std::string>()) <= std::chrono::system_clock::now());
  CHECK(*sms::parse_iso8601(last["at"].get<std::string>()) > before - std::chrono::minutes(1));
  CHECK(last["dead"] == json{{"inbound", 0}, {"outbound", 0}});
}
