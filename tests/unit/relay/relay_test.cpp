#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "core/clock.h"
#include "fakes/fake_infinity.h"
#include "fakes/fake_twilio.h"
#include "fakes/process.h"
#include "fakes/timing.h"
#include "relay/messages.h"
#include "relay/relay.h"

using namespace sms;
using namespace std::chrono_literals;
using nlohmann::json;
using store::State;

namespace {

// The SQLite store, counting the relay's claims; its opt-out register can be made unreadable.
class CountingStore final : public store::Store {
 public:
  explicit CountingStore(std::unique_ptr<store::Store> inner) : s_(std::move(inner)) {}
  std::atomic<int> claims{0};
  std::atomic<bool> register_unreachable{false};

  const char* backend() const override { return s_->backend(); }
  Result<store::Enqueued> enqueue(const std::string& k, const std::vector<store::NewMessage>& m) override { return s_->enqueue(k, m); }
  Result<std::vector<store::Message>> claim_due(store::Direction d, std::int64_t now, std::size_t limit,
                                                const store::NumberFilter& f) override {
    ++claims;
    return s_->claim_due(d, now, limit, f);
  }
  Result<void> mark_sent(std::int64_t id, const std::string& p) override { return s_->mark_sent(id, p); }
  Result<void> mark_retry(std::int64_t id, std::int64_t next, const Error& e) override { return s_->mark_retry(id, next, e); }
  Result<void> mark_dead(std::int64_t id, const Error& e, const store::NoticeFor& n) override { return s_->mark_dead(id, e, n); }
  Result<void> revise(std::int64_t id, const json& p, const std::string& why, const std::optional<store::Notice>& n) override {
    return s_->revise(id, p, why, n);
  }
  Result<void> release(const std::vector<std::int64_t>& ids, std::int64_t due) override { return s_->release(ids, due); }
  Result<int> expire(store::Direction d, std::int64_t before, const store::NoticeFor& n) override { return s_->expire(d, before, n); }
  Result<bool> record_status(const std::string& p, State st, const std::string& c, const store::NoticeFor& n) override {
    return s_->record_status(p, st, c, n);
  }
  Result<int> make_due(store::Direction d, std::int64_t now, const store::NumberFilter& f) override { return s_->make_due(d, now, f); }
  Result<int> requeue_in_flight() override { return s_->requeue_in_flight(); }
  Result<std::vector<store::Message>> list(std::optional<State> st, std::size_t n) override { return s_->list(st, n); }
  Result<std::optional<store::Message>> get(std::int64_t id) override { return s_->get(id); }
  Result<std::vector<store::Message>> find_messages(const store::MessageFilter& f) override { return s_->find_messages(f); }
  Result<std::vector<store::Attempt>> attempts(std::int64_t id) override { return s_->attempts(id); }
  Result<int> retry(std::int64_t id) override { return s_->retry(id); }
  Result<int> retry_all_dead() override { return s_->retry_all_dead(); }
  Result<store::Purged> purge(std::int64_t before, std::size_t batch) override { return s_->purge(before, batch); }
  Result<std::map<State, std::int64_t>> counts() override { return s_->counts(); }
  Result<std::vector<store::NumberCount>> counts_by_number() override { return s_->counts_by_number(); }
  Result<std::optional<std::int64_t>> oldest_queued_created_ms() override { return s_->oldest_queued_created_ms(); }
  Result<void> add_opt_outs(const std::vector<store::OptOut>& o) override { return s_->add_opt_outs(o); }
  Result<bool> remove_opt_out(const std::string& b, const std::string& e) override { return s_->remove_opt_out(b, e); }
  Result<bool> opted_out(const std::string& b, const std::string& e) override {
    if (register_unreachable) return fail(ErrorKind::network, "store (postgresql): connection refused");
    return s_->opted_out(b, e);
  }
  Result<std::vector<store::OptOut>> list_opt_outs() override { return s_->list_opt_outs(); }
  Result<std::int64_t> count_opt_outs() override { return s_->count_opt_outs(); }
  Result<store::Slot> reserve_slot(const std::string& n, std::int64_t now, std::int64_t cost, std::int64_t window) override {
    return s_->reserve_slot(n, now, cost, window);
  }
  Result<void> slow_down(const std::string& n, std::int64_t now, std::int64_t until) override { return s_->slow_down(n, now, until); }
  Result<void> check_writable() override { return s_->check_writable(); }

 private:
  std::unique_ptr<store::Store> s_;
};

struct Rig {
  fakes::TempDir dir;
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  std::unique_ptr<CountingStore> db;
  std::unique_ptr<config::LiveConfig> live;
  std::unique_ptr<relay::Relay> relay;

  explicit Rig(const json& patch = json::object()) {
    db = std::make_unique<CountingStore>(std::move(*store::open_sqlite(dir.file("outbox.db"))));
    live = std::make_unique<config::LiveConfig>(config(patch));
    relay = std::make_unique<relay::Relay>(*db, *live);
    REQUIRE(relay->start());
  }
  config::Config config(const json& patch) {
    auto tree = config::Config().tree();
    config::merge_into(tree, {{"twilio", {{"account", {{"sid", tw.account_sid()}, {"authToken", tw.auth_token()}}}, {"apiBaseUrl", tw.url()}}},
                              {"avaya", {{"host", inf.url()}, {"accountId", inf.account_id()}, {"clientId", inf.client_id()},
                                         {"clientSecret", inf.client_secret()}, {"connectorId", inf.connector_id()}}},
                              {"relay", {{"retryInitial", "5ms"}, {"retryMax", "50ms"}, {"probeInterval", "5ms"}, {"upstreamTimeout", "1s"},
                                         {"pacing", {{"longCode", 0}}}}}});
    config::merge_into(tree, patch);
    return config::Config(tree);
  }
  void inbound(const std::string& sid, const std::string& from, const std::string& text) {
    twilio::InboundSms s{sid, "AC1", from, "+15559870002", text, 0, 1, {}, {}, {}, {}};
    REQUIRE(db->enqueue(relay::dedupe_key(s), relay::inbound_messages(s, *live->get(), iso8601_now())));
    relay->notify(store::Direction::inbound);
  }
  void outbound(const std::string& id, const std::string& to, const std::string& text, const std::string& from = "+15559870002") {
    infinity::Event e;
    e.event_type = "messages";
    e.event_id = id;
    e.from = from;
    e.to = {to};
    e.text = text;
    REQUIRE(db->enqueue(relay::dedupe_key(e), relay::outbound_messages(e, *live->get())));
    relay->notify(store::Direction::outbound);
  }
  bool wait_state(State s, std::int64_t n, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if ((*db->counts())[s] >= n) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
};

}  // namespace

TEST_CASE("messages are delivered both ways with the provider ids recorded") {
  Rig r;
  r.inbound("SM1", "+15551230001", "hello");
  r.outbound("ev1", "+15551230001", "hi back");
  REQUIRE(r.wait_state(State::sent, 2));
  REQUIRE(r.inf.messages().size() == 1);
  CHECK(r.inf.messages()[0].message["body"]["text"] == "hello");
  REQUIRE(r.tw.messages().size() == 1);
  CHECK(r.tw.messages()[0].form.find("Body")->second == "hi back");
  auto sent = *r.db->list(State::sent, 10);
  std::set<std::string> ids;
  for (auto& m : sent) ids.insert(m.provider_id);
  CHECK(ids.count(r.tw.messages()[0].sid) == 1);
  CHECK(r.relay->stats().sent_inbound == 1);
  CHECK(r.relay->stats().sent_outbound == 1);
}

TEST_CASE("transient failures are retried, Retry-After respected, permanent ones go dead") {
  Rig r;
  fakes::Failure down;
  down.status = 503;
  down.times = 2;
  down.path_prefix = "/api/digital";
  r.inf.inject(down);
  r.inbound("SM1", "+15551230001", "hello");
  REQUIRE(r.wait_state(State::sent, 1));
  CHECK(r.inf.messages().size() == 1);
  auto m = r.db->list(State::sent, 1)->at(0);
  CHECK(m.attempts == 3);
  CHECK((*r.db->attempts(m.id))[0].outcome == "retry");

  fakes::Failure limited;
  limited.status = 429;
  limited.headers = {{"Retry-After", "30"}};
  limited.path_prefix = "/api/digital";
  r.inf.inject(limited);
  auto before = unix_ms_now();
  r.inbound("SM2", "+15551230009", "later");
  REQUIRE(r.inf.wait_for(4, 5s, "/api/digital"));
  std::this_thread::sleep_for(50ms);
  auto queued = r.db->list(State::queued, 1);
  REQUIRE(queued->size() == 1);
  CHECK(queued->at(0).next_attempt_ms >= before + 30000);

  r.tw.fail_with_code(400, 21610, "Attempt to send to unsubscribed recipient");
  r.outbound("ev1", "+15551230001", "hi");
  REQUIRE(r.wait_state(State::dead, 1));
  auto dead = r.db->list(State::dead, 1)->at(0);
  CHECK(dead.provider_code == "21610");
  CHECK(dead.last_error.find("unsubscribed") != std::string::npos);
}

TEST_CASE("a reply waits while the opt-out register cannot be read, and Twilio is not blamed for it") {
  Rig r;
  r.db->register_unreachable = true;
  r.outbound("ev1", "+15551230001", "hi");
  r.outbound("ev2", "+15551230002", "hello");  // two messages failing in a row would mark an upstream failing
  std::this_thread::sleep_for(200ms);          // several retries at 5-50 ms
  CHECK(r.tw.count("/2010-04-01") == 0);
  auto waiting = r.db->list(std::nullopt, 10);
  REQUIRE(waiting->size() == 2);
  for (const auto& m : *waiting) {
    CHECK((m.state == State::queued || m.state == State::sending));  // between two tries, or in one
    auto history = *r.db->attempts(m.id);
    REQUIRE_FALSE(history.empty());
    CHECK(history.front().outcome == "retry");
    CHECK(history.front().detail.rfind("opt-out check: ", 0) == 0);
  }
  r.db->register_unreachable = false;
  REQUIRE(r.wait_state(State::sent, 2));
  CHECK(r.tw.messages().size() == 2);
}

TEST_CASE("mock modes send nothing and record it") {
  Rig r(json{{"twilio", {{"isMockMode", true}}}, {"avaya", {{"isMockMode", true}}}});
  r.inbound("SM1", "+15551230001", "hello");
  r.outbound("ev1", "+15551230001", "hi");
  REQUIRE(r.wait_state(State::sent, 2));
  auto sent = r.db->list(State::sent, 10);
  REQUIRE(sent);
  for (auto& m : *sent) CHECK(m.provider_id == "mock");
  CHECK(r.inf.requests().empty());
  CHECK(r.tw.requests().empty());
}

TEST_CASE("an unconfigured direction keeps its messages until the config arrives") {
  Rig r(json{{"avaya", {{"host", ""}}}});
  CHECK(r.relay->blocked_reason(store::Direction::inbound).find("avaya.host") != std::string::npos);
  CHECK(r.relay->blocked_reason(store::Direction::outbound).empty());
  CHECK(r.relay->check_infinity_token().error().kind == ErrorKind::config);
  r.inbound("SM1", "+15551230001", "hello");
  std::this_thread::sleep_for(200ms);
  CHECK((*r.db->counts())[State::queued] == 1);
  r.live->replace(r.config(json::object()));
  r.relay->notify(store::Direction::inbound);
  REQUIRE(r.wait_state(State::sent, 1));
  CHECK(r.inf.messages().size() == 1);
  CHECK(r.relay->check_infinity_token());
}

TEST_CASE("each conversation's messages arrive in order despite random failures") {
  Rig r;
  fakes::Failure flaky;
  flaky.status = 503;
  flaky.times = 40;
  flaky.path_prefix = "/api/digital";
  r.inf.inject(flaky);
  for (int i = 0; i < 20; ++i)
    for (int c = 0; c < 5; ++c) r.inbound("SM" + std::to_string(c) + "-" + std::to_string(i), "+1555000000" + std::to_string(c), std::to_string(i));
  REQUIRE(r.wait_state(State::sent, 100, 20s));
  std::map<std::string, std::vector<int>> seen;
  for (auto& m : r.inf.messages()) seen[m.message["headers"]["from"]].push_back(std::stoi(m.message["body"]["text"].get<std::string>()));
  REQUIRE(seen.size() == 5);
  for (auto& [conv, seq] : seen) {
    INFO(conv);
    CHECK(seq.size() == 20);
    CHECK(std::is_sorted(seq.begin(), seq.end()));
  }
}

TEST_CASE("messages older than the age limit expire instead of going out late") {
  Rig r(json{{"avaya", {{"host", ""}}}, {"relay", {{"inboundMaxAge", "50ms"}}}});
  r.inbound("SM1", "+15551230001", "stale");
  REQUIRE(r.wait_state(State::expired, 1, 5s));
  r.live->replace(r.config(json{{"relay", {{"inboundMaxAge", "50ms"}}}}));
  r.relay->notify(store::Direction::inbound);
  std::this_thread::sleep_for(200ms);
  CHECK(r.inf.messages().empty());
  CHECK(r.relay->stats().expired == 1);
}

TEST_CASE("an idle relay looks at the store once a poll per direction, not once per worker") {
  Rig r(json{{"relay", {{"concurrency", 8}}}});
  std::this_thread::sleep_for(300ms);  // started: each worker has looked once
  int before = r.db->claims;
  std::this_thread::sleep_for(1s);
  // Two directions polling every 100 ms: about 20 (18 measured). Every worker polling: 62 measured.
  CHECK(r.db->claims - before <= 30);
  r.inbound("SM1", "+15551230001", "hello");
  REQUIRE(r.wait_state(State::sent, 1));
}

TEST_CASE("a due message is noticed while the worker that polled is out delivering") {
  // Three workers: one delivering (2 s each), one polling, one asleep. When the poller finds a
  // message and goes to deliver it, the sleeper must take over polling: else a message that is
  // not announced (a retry that became due) waits for a delivery to finish.
  Rig r(json{{"relay", {{"concurrency", 3}, {"upstreamTimeout", "5s"}}}});
  r.inf.set_latency(2s);
  auto sending = [&] { return (*r.db->counts())[State::sending]; };
  auto wait_sending = [&](std::int64_t n) {
    auto deadline = std::chrono::steady_clock::now() + 1500ms;
    while (sending() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return sending() >= n;
  };
  auto unannounced = [&](const std::string& sid, const std::string& from) {
    twilio::InboundSms s{sid, "AC1", from, "+15559870002", "x", 0, 1, {}, {}, {}, {}};
    REQUIRE(r.db->enqueue(relay::dedupe_key(s), relay::inbound_messages(s, *r.live->get(), iso8601_now())));
  };
  r.inbound("SM1", "+15551230001", "first");  // announced: a worker takes it at once
  REQUIRE(wait_sending(1));
  unannounced("SM2", "+15551230002");  // found by the poller, which goes to deliver it
  REQUIRE(wait_sending(2));
  auto t0 = std::chrono::steady_clock::now();
  unannounced("SM3", "+15551230003");  // only a new poller finds this one before 2 s
  REQUIRE(wait_sending(3));
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  r.inf.set_latency(0ms);
}

TEST_CASE("after an outage the first answer releases every waiting conversation at once, in order") {
  // Backoff as in production (1 s, doubling): per-message backoff left heads waiting seconds
  // after the outage ended; per-upstream probing releases them at the first answer.
  Rig r(json{{"relay", {{"retryInitial", "1s"}, {"retryMax", "1m"}, {"probeInterval", "100ms"}}}});
  fakes::Failure down;
  down.status = 503;
  auto end = std::chrono::steady_clock::now() + 1500ms;
  down.until = end;
  down.path_prefix = "/api/digital";
  r.inf.inject(down);
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 10; ++c)
      r.inbound("SM" + std::to_string(c) + "-" + std::to_string(i), "+1555000001" + std::to_string(c), std::to_string(i));
  std::this_thread::sleep_for(500ms);
  CHECK(r.relay->upstream(store::Direction::inbound).failing);
  // While failing, about one probe per interval: not one attempt per waiting message.
  auto during = r.inf.count("/api/digital");
  std::this_thread::sleep_for(500ms);
  CHECK(r.inf.count("/api/digital") - during <= 7);
  REQUIRE(r.wait_state(State::sent, 20, 10s));
  auto drained = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - end);
  INFO("drained " << drained.count() << " ms after the outage ended");
  CHECK(drained < 1500ms);
  CHECK_FALSE(r.relay->upstream(store::Direction::inbound).failing);
  std::map<std::string, std::vector<int>> seen;
  for (auto& m : r.inf.messages()) seen[m.message["headers"]["from"]].push_back(std::stoi(m.message["body"]["text"].get<std::string>()));
  REQUIRE(seen.size() == 10);
  for (auto& [conv, seq] : seen) {
    INFO(conv);
    CHECK(seq == std::vector<int>{0, 1});
  }
}

namespace {

// Slots `every` seconds apart, for n sends.
std::vector<double> slots(std::size_t n, double every) {
  std::vector<double> out;
  for (std::size_t k = 0; k < n; ++k) out.push_back(static_cast<double>(k) * every);
  return out;
}

}  // namespace

TEST_CASE("a paced number sends at its rate, in each conversation's order, while another number's replies go out at once") {
  // +15559870002 (a long code) at 10 a second; +15559870003 not paced.
  Rig r(json{{"relay", {{"pacing", {{"longCode", 10}, {"numbers", {{"+15559870003", 0}}}}}}}});
  for (int i = 0; i < 12; ++i) r.outbound("paced" + std::to_string(i), "+1555123000" + std::to_string(i % 4), std::to_string(i));
  for (int i = 0; i < 12; ++i) r.outbound("free" + std::to_string(i), "+1555123100" + std::to_string(i % 4), std::to_string(i), "+15559870003");
  REQUIRE(r.wait_state(State::sent, 24, 10s));
  auto paced = r.tw.sent_from("+15559870002");
  auto free = r.tw.sent_from("+15559870003");
  REQUIRE(paced.size() == 12);
  REQUIRE(free.size() == 12);
  std::sort(paced.begin(), paced.end());
  CHECK(fakes::worst_shortfall(paced, slots(12, 0.1)) <= 0.05);  // 100 ms a send, less the HTTP calls' jitter
  CHECK(paced.back() - paced.front() < 3s);  // and not much slower than the rate
  // The other number's replies were all sent before the paced number's third.
  CHECK(*std::max_element(free.begin(), free.end()) < paced[2]);
  // Each conversation's replies arrived in order.
  std::map<std::string, std::vector<int>> seen;
  for (const auto& m : r.tw.messages()) seen[m.field("From") + m.field("To")].push_back(std::stoi(m.field("Body")));
  for (auto& [conversation, seq] : seen) {
    INFO(conversation);
    CHECK(seq.size() == 3);
    CHECK(std::is_sorted(seq.begin(), seq.end()));
  }
  // Replies that waited were not counted as attempts.
  auto sent = r.db->list(State::sent, 24);
  for (const auto& m : *sent) CHECK(m.attempts == 1);
}

TEST_CASE("Twilio's 429 slows the number down, and the reply is sent later") {
  Rig r(json{{"relay", {{"pacing", {{"longCode", 20}}}}}});  // 50 ms a send
  r.tw.fail_with_code(429, 20429, "Too Many Requests");
  r.outbound("ev0", "+15551230000", "0");
  REQUIRE(r.tw.wait_for(1, 5s));  // refused: the slots reserved from now on are slower
  for (int i = 1; i < 6; ++i) r.outbound("ev" + std::to_string(i), "+1555123000" + std::to_string(i), std::to_string(i));
  REQUIRE(r.wait_state(State::sent, 6, 10s));
  auto sent = r.tw.sent_from("+15559870002");
  REQUIRE(sent.size() == 6);
  // After the refusal each send costs twice its price: 100 ms apart, not 50.
  std::sort(sent.begin(), sent.end());
  CHECK(fakes::worst_shortfall(sent, slots(6, 0.1)) <= 0.05);
  auto retried = 0;
  auto stored = r.db->list(State::sent, 6);
  for (const auto& m : *stored) retried += m.attempts == 2;
  CHECK(retried == 1);
}
