// The store's contract, run against both backends: embedded SQLite and shared PostgreSQL
// (the latter on the cluster scripts/with-postgres starts).
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "core/clock.h"
#include "fakes/process.h"
#include "store/retention.h"
#include "store/store.h"
#include "unit/store/backends.h"

using namespace sms;
using namespace sms::store;
using contract::kLease;
using contract::SqliteBackend;

namespace {


NewMessage msg(const std::string& conv, const std::string& text, Direction d = Direction::inbound) {
  return {d, conv, "src-" + text, {{"text", text}}};
}

std::vector<std::string> texts(const std::vector<Message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(nlohmann::json::parse(m.payload)["text"]);
  return out;
}

const Error kTransient{ErrorKind::retryable, "503 from upstream", 503, "", "", {}};

}  // namespace

CONTRACT_TEST("enqueue claims the dedupe key atomically and keeps a webhook's parts in order") {
  TestType backend;
  auto s = backend.open();
  CHECK(*s->enqueue("k1", {msg("A", "a1"), msg("A", "a2")}) == Enqueued::stored);
  CHECK(*s->enqueue("k1", {msg("A", "again")}) == Enqueued::duplicate);
  auto all = s->list(std::nullopt, 10);
  REQUIRE(all);
  CHECK(texts(*all) == std::vector<std::string>{"a2", "a1"});  // newest first
  CHECK((*s->counts())[State::queued] == 2);
}

TEST_CASE("the SQLite outbox and its directory are private to the service user") {
  SqliteBackend backend;
  auto s = backend.open();
  struct stat st{};
  REQUIRE(stat(backend.file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(stat(backend.dir.file("state").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("SQLite: counts and listings do not wait for a commit in progress") {
  SqliteBackend backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("k1", {msg("A", "a1")}));
  REQUIRE(s->counts());  // as serve does at start: the first counts() counts the table on the writer
  // Another process holds the write lock, so the next enqueue's commit waits for it (holding the
  // store's writing connection) until it is released, 2 s later.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(backend.file().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  std::thread writer([&] { CHECK(s->enqueue("k2", {msg("A", "a2")})); });
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = std::chrono::steady_clock::now();
  auto counts = s->counts();
  auto listed = s->list(std::nullopt, 10);
  auto oldest = s->oldest_queued_created_ms();
  auto took = std::chrono::steady_clock::now() - t0;
  writer.join();
  release.join();
  sqlite3_close(other);
  CHECK(took < std::chrono::seconds(1));
  REQUIRE(counts);
  CHECK((*counts)[State::queued] == 1);
  REQUIRE(listed);
  CHECK(texts(*listed) == std::vector<std::string>{"a1"});
  CHECK((oldest && oldest->has_value()));
  CHECK((*s->counts())[State::queued] == 2);  // and each read sees every commit made before it
}

CONTRACT_TEST("claims are FIFO per conversation and never block other conversations") {
  TestType backend;
  auto s = backend.open();
  s->enqueue("1", {msg("A", "a1")});
  s->enqueue("2", {msg("A", "a2")});
  s->enqueue("3", {msg("B", "b1")});
  s->enqueue("4", {msg("C", "out", Direction::outbound)});
  auto now = unix_ms_now();
  auto first = *s->claim_due(Direction::inbound, now, 10, {});
  CHECK(texts(first) == std::vector<std::string>{"a1", "b1"});
  CHECK(first[0].state == State::sending);
  CHECK(s->claim_due(Direction::inbound, now, 10, {})->empty());  // a2 waits for a1

  // a1 fails and waits for a retry: a2 is still blocked behind it; B goes on.
  s->mark_retry(first[0].id, now + 60000, kTransient);
  s->mark_sent(first[1].id, "SMb1");
  CHECK(s->claim_due(Direction::inbound, now, 10, {})->empty());
  auto later = *s->claim_due(Direction::inbound, now + 60000, 10, {});
  CHECK(texts(later) == std::vector<std::string>{"a1"});
  s->mark_dead(later[0].id, Error{ErrorKind::permanent, "21610 unsubscribed", 400, "21610", "", {}}, {});
  CHECK(texts(*s->claim_due(Direction::inbound, now + 60000, 10, {})) == std::vector<std::string>{"a2"});
  CHECK(texts(*s->claim_due(Direction::outbound, now, 10, {})) == std::vector<std::string>{"out"});

  auto dead = s->get(later[0].id);
  REQUIRE(*dead);
  CHECK((*dead)->state == State::dead);
  CHECK((*dead)->provider_code == "21610");
  CHECK((*dead)->attempts == 2);
  auto history = *s->attempts(later[0].id);
  REQUIRE(history.size() == 2);
  CHECK(history[0].outcome == "retry");
  CHECK(history[1].outcome == "dead");
  CHECK(s->get(999999)->has_value() == false);
}

CONTRACT_TEST("a conversation queued behind a long backlog of another is claimed") {
  TestType backend;
  auto s = backend.open();
  std::vector<NewMessage> backlog;  // more than a PostgreSQL claim looks through before it walks
  for (int i = 0; i < 1100; ++i) backlog.push_back(msg("A", "a" + std::to_string(i)));
  s->enqueue("a", backlog);
  CHECK(texts(*s->claim_due(Direction::inbound, unix_ms_now(), 10, {})) == std::vector<std::string>{"a0"});
  s->enqueue("b", {msg("B", "b1")});  // A's head is in flight; B's is due
  CHECK(texts(*s->claim_due(Direction::inbound, unix_ms_now(), 10, {})) == std::vector<std::string>{"b1"});
}

CONTRACT_TEST("a conversation's head passes on however its messages finish or come back") {
  TestType backend;
  auto s = backend.open();
  auto claim = [&] { return texts(*s->claim_due(Direction::inbound, unix_ms_now(), 10, {})); };
  using texts_t = std::vector<std::string>;
  s->enqueue("x", {msg("X", "x1"), msg("X", "x2"), msg("X", "x3")});
  auto x1 = s->claim_due(Direction::inbound, unix_ms_now(), 10, {})->at(0);
  CHECK(claim().empty());  // x1 in flight: x2 waits
  s->mark_dead(x1.id, kTransient, {});
  auto x2 = s->claim_due(Direction::inbound, unix_ms_now(), 10, {})->at(0);
  CHECK(texts({x2}) == texts_t{"x2"});
  CHECK(*s->retry(x1.id) == 1);  // older than the head in flight: the conversation's head again
  // Only x1, even once x2's lease (shared store) has run out: a conversation has one head.
  auto lease_later = unix_ms_now() + 2 * std::chrono::milliseconds(kLease).count();
  CHECK(texts(*s->claim_due(Direction::inbound, lease_later, 10, {})) == texts_t{"x1"});
  s->mark_sent(x1.id, "SM-x1");
  CHECK(claim().empty());  // x2 is still in flight
  s->mark_sent(x2.id, "SM-x2");
  CHECK(claim() == texts_t{"x3"});

  s->enqueue("y1", {msg("Y", "y1")});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto cutoff = unix_ms_now();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s->enqueue("y2", {msg("Y", "y2")});
  CHECK(*s->expire(Direction::inbound, cutoff, {}) == 1);  // y1, the head
  CHECK(claim() == texts_t{"y2"});
}

CONTRACT_TEST("a claim sees what another connection wrote (the outbox CLI, another instance)") {
  TestType backend;
  auto s = backend.open();
  auto other = backend.open();
  s->enqueue("1", {msg("A", "a1")});
  auto now = unix_ms_now();
  auto a1 = s->claim_due(Direction::inbound, now, 10, {})->at(0);
  s->mark_dead(a1.id, Error{ErrorKind::permanent, "21610 unsubscribed", 400, "21610", "", {}}, {});
  CHECK(s->claim_due(Direction::inbound, now, 10, {})->empty());

  other->enqueue("2", {msg("B", "b1")});  // a new conversation
  CHECK(texts(*s->claim_due(Direction::inbound, unix_ms_now(), 10, {})) == std::vector<std::string>{"b1"});
  CHECK(*other->retry(a1.id) == 1);  // a dead message back in the queue
  CHECK(texts(*s->claim_due(Direction::inbound, unix_ms_now(), 10, {})) == std::vector<std::string>{"a1"});

  s->enqueue("3", {msg("C", "c1")});
  CHECK(*other->expire(Direction::inbound, unix_ms_now() + 1, {}) == 1);  // c1 expired elsewhere
  CHECK(s->claim_due(Direction::inbound, unix_ms_now(), 10, {})->empty());
}

CONTRACT_TEST("limit, due time, release and crash recovery") {
  TestType backend;
  {
    auto s = backend.open();
    for (int i = 0; i < 6; ++i) s->enqueue("k" + std::to_string(i), {msg("C" + std::to_string(i), std::to_string(i))});
    CHECK(s->claim_due(Direction::inbound, unix_ms_now(), 2, {})->size() == 2);
    CHECK(s->claim_due(Direction::inbound, 0, 10, {})->empty());  // nothing is due at time 0
    auto released = *s->claim_due(Direction::inbound, unix_ms_now(), 1, {});
    REQUIRE(s->release({released.at(0).id}, 0));  // a stopping instance hands it back at once
    CHECK((*s->get(released[0].id))->state == State::queued);
    CHECK((*s->get(released[0].id))->attempts == 0);
  }
  auto s = backend.open();  // as after a crash: two were left sending
  if constexpr (TestType::shared) {
    // Another instance's claims stay theirs until the lease runs out.
    CHECK(*s->requeue_in_flight() == 0);
    CHECK(s->claim_due(Direction::inbound, unix_ms_now(), 10, {})->size() == 4);
    // A lease later every claim has run out: the two left by the first instance and the four above.
    CHECK(s->claim_due(Direction::inbound, unix_ms_now() + std::chrono::milliseconds(kLease).count() + 1, 10, {})->size() == 6);
  } else {
    CHECK(*s->requeue_in_flight() == 2);
    CHECK(s->claim_due(Direction::inbound, unix_ms_now(), 10, {})->size() == 6);
  }
}

CONTRACT_TEST("make_due brings forward the retries waiting in one direction, and nothing else") {
  TestType backend;
  auto s = backend.open();
  const std::int64_t hour = 3'600'000;
  s->enqueue("k1", {msg("A", "a1"), msg("A", "a2")});
  s->enqueue("k2", {msg("B", "b1")});
  s->enqueue("k3", {msg("C", "c1", Direction::outbound)});
  auto now = unix_ms_now();  // after the enqueues: all three are due by now
  for (auto d : {Direction::inbound, Direction::outbound}) {
    auto claimed = s->claim_due(d, now, 10, {});
    REQUIRE(claimed);
    for (const auto& m : *claimed) s->mark_retry(m.id, now + hour, kTransient);  // a1, b1, c1
  }
  CHECK(s->claim_due(Direction::inbound, now, 10, {})->empty());  // a2 waits behind a1
  CHECK(*s->make_due(Direction::inbound, now, {}) == 2);
  CHECK(texts(*s->claim_due(Direction::inbound, now, 10, {})) == std::vector<std::string>{"a1", "b1"});
  CHECK(s->claim_due(Direction::outbound, now, 10, {})->empty());  // the other direction still waits
  CHECK(*s->make_due(Direction::inbound, now, {}) == 0);           // claimed (sending) ones are not queued
  CHECK(texts(*s->claim_due(Direction::outbound, now + hour, 10, {})) == std::vector<std::string>{"c1"});
}

CONTRACT_TEST("a number filter limits claims and make_due to some business numbers, or keeps them out") {
  TestType backend;
  auto s = backend.open();
  const std::int64_t hour = 3'600'000;
  // Conversations "<end user>|<business number>" of three business numbers.
  s->enqueue("k1", {msg("+1001|+15550100", "acme-1"), msg("+1002|+15550101", "acme-2")});
  s->enqueue("k2", {msg("+1003|+15550200", "bravo-1")});
  s->enqueue("k3", {msg("+1004|+15550900", "other-1")});
  auto now = unix_ms_now();
  NumberFilter acme{NumberFilter::Mode::only, {"+15550100", "+15550101"}};
  NumberFilter not_acme{NumberFilter::Mode::except, {"+15550100", "+15550101"}};
  auto claimed = *s->claim_due(Direction::inbound, now, 10, not_acme);
  auto got = texts(claimed);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"bravo-1", "other-1"});
  claimed = *s->claim_due(Direction::inbound, now, 10, acme);
  got = texts(claimed);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"acme-1", "acme-2"});
  for (const auto& m : claimed) s->mark_retry(m.id, now + hour, kTransient);
  CHECK(*s->make_due(Direction::inbound, now, not_acme) == 0);  // only acme's wait
  CHECK(s->claim_due(Direction::inbound, now, 10, {})->empty());
  CHECK(*s->make_due(Direction::inbound, now, {NumberFilter::Mode::only, {"+15550101"}}) == 1);
  CHECK(texts(*s->claim_due(Direction::inbound, now, 10, {})) == std::vector<std::string>{"acme-2"});
  CHECK(*s->make_due(Direction::inbound, now, acme) == 1);
  CHECK(texts(*s->claim_due(Direction::inbound, now, 10, acme)) == std::vector<std::string>{"acme-1"});
}

CONTRACT_TEST("counts by business number give each number's states and oldest message") {
  TestType backend;
  auto s = backend.open();
  auto before = unix_ms_now();
  s->enqueue("k1", {msg("+1001|+15550100", "a1"), msg("+1001|+15550100", "a2"), msg("+1002|+15550200", "b1")});
  auto claimed = *s->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  REQUIRE(claimed.size() == 2);
  for (const auto& m : claimed)
    if (m.conversation == "+1002|+15550200") s->mark_dead(m.id, Error{ErrorKind::permanent, "no", 400, "", "", {}}, {});
  auto rows = *s->counts_by_number();
  std::map<std::pair<std::string, State>, std::int64_t> got;
  for (const auto& r : rows) {
    got[{r.business_number, r.state}] = r.count;
    if (r.state == State::dead) CHECK(r.oldest_created_ms == 0);  // only the unfinished have an oldest
    else CHECK(r.oldest_created_ms >= before);
  }
  CHECK(got == std::map<std::pair<std::string, State>, std::int64_t>{{{"+15550100", State::queued}, 1},
                                                                     {{"+15550100", State::sending}, 1},
                                                                     {{"+15550200", State::dead}, 1}});
}

namespace {

using NumberCounts = std::map<std::pair<std::string, State>, std::int64_t>;

// What counts_by_number() must say, counted from a listing of every message.
NumberCounts counted(Store& s) {
  NumberCounts out;
  auto all = s.list(std::nullopt, 10000);
  for (const auto& m : *all) ++out[{std::string(business_number(m.conversation)), m.state}];
  return out;
}

NumberCounts kept(Store& s) {
  NumberCounts out;
  auto rows = s.counts_by_number();
  for (const auto& r : *rows) out[{r.business_number, r.state}] = r.count;
  return out;
}

void check_counts(Store& s) {
  auto expected = counted(s);
  CHECK(kept(s) == expected);
  std::map<State, std::int64_t> by_state;
  for (int i = 0; i < 7; ++i) by_state[static_cast<State>(i)] = 0;
  for (const auto& [key, n] : expected) by_state[key.second] += n;
  CHECK(*s.counts() == by_state);
}

}  // namespace

CONTRACT_TEST("the counts the store keeps follow every change of a message, by business number") {
  TestType backend;
  auto s = backend.open();
  for (int i = 0; i < 6; ++i)
    s->enqueue("in" + std::to_string(i), {msg("+1100" + std::to_string(i) + "|+15550100", "in" + std::to_string(i)),
                                          msg("+1200" + std::to_string(i) + "|+15550200", "in2-" + std::to_string(i))});
  s->enqueue("out", {msg("+1300|+15550100", "out1", Direction::outbound), msg("+1301|+15550200", "out2", Direction::outbound)});
  check_counts(*s);
  auto now = unix_ms_now();
  auto in = *s->claim_due(Direction::inbound, now, 100, {});
  REQUIRE(in.size() == 12);
  check_counts(*s);
  s->mark_sent(in[0].id, "IN0");
  s->mark_retry(in[1].id, now, kTransient);
  s->mark_dead(in[2].id, Error{ErrorKind::permanent, "no", 400, "", "", {}}, {});
  s->mark_dead(in[3].id, Error{ErrorKind::permanent, "no", 400, "", "", {}}, {});
  s->release({in[4].id}, now);
  check_counts(*s);
  auto out = *s->claim_due(Direction::outbound, now, 100, {});
  REQUIRE(out.size() == 2);
  s->mark_sent(out[0].id, "SM1");
  s->mark_sent(out[1].id, "SM2");
  s->record_status("SM1", State::delivered, "", {});
  s->record_status("SM2", State::failed, "30003", {});
  check_counts(*s);
  CHECK(*s->retry(in[2].id) == 1);
  CHECK(*s->retry_all_dead() == 1);
  check_counts(*s);
  CHECK(*s->expire(Direction::inbound, unix_ms_now() + 1, {}) > 0);
  check_counts(*s);
  CHECK(purge_all(*s, unix_ms_now() + 1)->messages > 0);
  check_counts(*s);  // and no row for a number and state without messages
  CHECK(s->requeue_in_flight());  // SQLite: the claims back to queued (PostgreSQL leaves them to their lease)
  check_counts(*s);
}

TEST_CASE("SQLite: the kept counts follow another process's changes to the outbox") {
  SqliteBackend backend;
  auto s = backend.open();
  s->enqueue("k1", {msg("+1001|+15550100", "a1"), msg("+1002|+15550200", "b1")});
  check_counts(*s);
  sqlite3* other = nullptr;  // e.g. an outbox command while serve runs
  REQUIRE(sqlite3_open(backend.file().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "UPDATE messages SET state = 'dead' WHERE conversation = '+1001|+15550100'", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  sqlite3_close(other);
  check_counts(*s);
  CHECK((*s->counts())[State::dead] == 1);
  auto reopened = backend.open();  // counted at the first counts()
  CHECK((*reopened->counts())[State::dead] == 1);
  CHECK((*reopened->counts())[State::queued] == 1);
}

CONTRACT_TEST("status callbacks only move forward") {
  TestType backend;
  auto s = backend.open();
  s->enqueue("k", {msg("A", "x", Direction::outbound)});
  auto m = s->claim_due(Direction::outbound, unix_ms_now(), 1, {})->at(0);
  s->mark_sent(m.id, "SM1");
  CHECK(*s->record_status("SM1", State::delivered, "", {}));
  CHECK_FALSE(*s->record_status("SM1", State::sent, "", {}));
  CHECK_FALSE(*s->record_status("SM1", State::failed, "30003", {}));
  CHECK_FALSE(*s->record_status("SM-unknown", State::delivered, "", {}));
  CHECK((*s->get(m.id))->state == State::delivered);
}

CONTRACT_TEST("expire, retry, purge and counts") {
  TestType backend;
  auto s = backend.open();
  s->enqueue("k1", {msg("A", "old")});
  s->enqueue("k2", {msg("B", "x", Direction::outbound)});
  CHECK(*s->expire(Direction::inbound, unix_ms_now() + 1, {}) == 1);
  CHECK((*s->counts())[State::expired] == 1);
  CHECK((*s->counts())[State::queued] == 1);
  CHECK(s->oldest_queued_created_ms()->has_value());
  auto expired = s->list(State::expired, 10)->at(0);
  CHECK(*s->retry(expired.id) == 1);
  CHECK(*s->retry(expired.id) == 0);  // already queued
  auto claimed = *s->claim_due(Direction::inbound, unix_ms_now(), 1, {});
  s->mark_dead(claimed.at(0).id, kTransient, {});
  CHECK(*s->retry_all_dead() == 1);
  CHECK(s->purge(unix_ms_now() + 1, 500)->messages == 0);  // nothing final
  claimed = *s->claim_due(Direction::inbound, unix_ms_now(), 1, {});
  s->mark_sent(claimed.at(0).id, "id");
  CHECK(s->purge(unix_ms_now() + 1, 500)->messages == 1);
  CHECK(s->list(std::nullopt, 10)->size() == 1);
  CHECK(s->check_writable());
}

CONTRACT_TEST("concurrent enqueues from many threads and two connections lose nothing") {
  TestType backend;
  auto a = backend.open();
  auto b = backend.open();  // like serve and the outbox CLI, or two instances
  std::atomic<int> stored{0}, dup{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto& s = (t % 2) ? *a : *b;
        auto r = s.enqueue("t" + std::to_string(t) + "-" + std::to_string(i), {msg("C", "m")});
        if (r && *r == Enqueued::stored) ++stored;
        auto same = s.enqueue("shared-" + std::to_string(i), {msg("S", "s")});
        if (same && *same == Enqueued::duplicate) ++dup;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(stored == 200);
  CHECK(dup == 7 * 25);
  CHECK((*a->counts())[State::queued] == 225);
}

CONTRACT_TEST("a newer schema version is refused") {
  TestType backend;
  { auto s = backend.open(); }
  backend.make_schema_newer();
  auto reopened = backend.try_open();
  REQUIRE_FALSE(reopened);
  CHECK(reopened.error().message.find("newer than this infinity-sms") != std::string::npos);
}

CONTRACT_TEST("a request that fails stores nothing of itself and leaves concurrent requests stored") {
  TestType backend;
  auto s = backend.open();
  std::atomic<int> stored{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        // Every fifth request carries text the JSON serialiser refuses (not UTF-8).
        bool bad = i % 5 == 0;
        auto r = s->enqueue("k" + std::to_string(t) + "-" + std::to_string(i),
                            {msg("C" + std::to_string(t), bad ? "\xff" : "ok"), msg("C" + std::to_string(t), "part 2")});
        if (r && *r == Enqueued::stored) ++stored;
        if (!r && r.error().kind == ErrorKind::internal) ++failed;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(stored == 8 * 16);
  CHECK(failed == 8 * 4);
  CHECK((*s->counts())[State::queued] == 8 * 16 * 2);  // no half-stored request
  // A failed request claimed no dedupe key: the sender's retry is stored.
  auto retry = s->enqueue("k0-0", {msg("C0", "fixed")});
  REQUIRE(retry);
  CHECK(*retry == Enqueued::stored);
}

CONTRACT_TEST("an empty provider id matches nothing, and a retried message forgets its old provider id") {
  TestType backend;
  auto s = backend.open();
  s->enqueue("k1", {msg("A", "x", Direction::outbound)});
  s->enqueue("k2", {msg("B", "y", Direction::outbound)});
  auto claimed = *s->claim_due(Direction::outbound, unix_ms_now(), 2, {});
  REQUIRE(claimed.size() == 2);  // both sending, provider_id still ''
  CHECK_FALSE(*s->record_status("", State::delivered, "", {}));
  CHECK((*s->get(claimed[0].id))->state == State::sending);

  s->mark_sent(claimed[0].id, "SM-old");
  CHECK(*s->record_status("SM-old", State::failed, "30003", {}));
  CHECK(*s->retry(claimed[0].id) == 1);
  CHECK((*s->get(claimed[0].id))->provider_id.empty());
  CHECK_FALSE(*s->record_status("SM-old", State::delivered, "", {}));  // a late callback for the old send
  CHECK((*s->get(claimed[0].id))->state == State::queued);
}

CONTRACT_TEST("purge removes finished messages and dedupe keys of the same age") {
  TestType backend;
  auto s = backend.open();
  s->enqueue("old-key", {msg("A", "x")});
  auto m = s->claim_due(Direction::inbound, unix_ms_now(), 1, {})->at(0);
  s->mark_sent(m.id, "id");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(s->purge(unix_ms_now(), 500)->messages == 1);
  // The key went with it: the same webhook now would be stored again (long after any retry).
  CHECK(*s->enqueue("old-key", {msg("A", "x")}) == Enqueued::stored);
  CHECK(s->purge(unix_ms_now() - 60'000, 500)->messages == 0);
  CHECK(*s->enqueue("old-key", {msg("A", "x")}) == Enqueued::duplicate);  // recent keys stay
}

CONTRACT_TEST("purge goes in steps of at most the batch, and keeps what is newer or unfinished") {
  TestType backend;
  auto s = backend.open();
  for (int i = 0; i < 5; ++i) {
    s->enqueue("key-" + std::to_string(i), {msg("C" + std::to_string(i), "x")});
    auto m = s->claim_due(Direction::inbound, unix_ms_now(), 1, {})->at(0);
    s->mark_sent(m.id, "id-" + std::to_string(i));
  }
  s->enqueue("queued-key", {msg("Q", "still queued")});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto cutoff = unix_ms_now();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s->enqueue("new-key", {msg("N", "x")});
  auto fresh = s->claim_due(Direction::inbound, unix_ms_now(), 2, {});
  for (auto& m : *fresh)
    if (m.conversation != "Q") s->mark_sent(m.id, "id-new");

  auto first = s->purge(cutoff, 2);
  REQUIRE(first);
  CHECK(first->messages == 2);
  CHECK(first->keys == 2);
  auto second = *s->purge(cutoff, 2);
  CHECK(second.messages == 2);
  CHECK(second.keys == 2);
  auto third = *s->purge(cutoff, 2);
  CHECK(third.messages == 1);  // fewer than the batch: complete
  CHECK(third.keys == 2);      // key-4 and queued-key: a key's age is all that counts
  CHECK(s->purge(cutoff, 2)->keys == 0);
  auto left = *s->list(std::nullopt, 10);
  REQUIRE(left.size() == 2);  // the queued message and the newer sent one
  CHECK(*s->enqueue("new-key", {msg("N", "x")}) == Enqueued::duplicate);
  CHECK(*s->enqueue("key-0", {msg("C0", "x")}) == Enqueued::stored);
}

namespace {

// Like compliance::notice_for: an inbound notice in the failed message's conversation, under
// "notice:<id>". Keeps every message it was asked about.
struct Notices {
  std::vector<Message> seen;
  NoticeFor each() {
    return [this](const Message& failed) -> std::optional<Notice> {
      seen.push_back(failed);
      auto id = std::to_string(failed.id);
      return Notice{"notice:" + id, {Direction::inbound, failed.conversation, "notice-" + id, {{"text", "notice " + id}}}};
    };
  }
};

const Error kUnsubscribed{ErrorKind::permanent, "21610 unsubscribed", 400, "21610", "", {}};

// The messages of a direction, oldest first.
std::vector<Message> all_of(Store& s, Direction d) {
  auto all = *s.list(std::nullopt, 100);
  std::erase_if(all, [&](const Message& m) { return m.direction != d; });
  std::reverse(all.begin(), all.end());
  return all;
}

}  // namespace

CONTRACT_TEST("the opt-out register adds, updates, lists in order, counts and removes pairs") {
  TestType backend;
  auto s = backend.open();
  const std::string b1 = "+15550000001", b2 = "+15550000002", u1 = "+15551110001", u2 = "+15551110002";
  REQUIRE(s->add_opt_outs({{b2, u1, 1000, "keyword", "STOP"}, {b1, u2, 2000, "import", ""}, {b1, u1, 3000, "operator", ""}}));
  CHECK(*s->opted_out(b2, u1));
  CHECK(*s->opted_out(b1, u2));
  CHECK_FALSE(*s->opted_out(b2, u2));  // a pair never added
  CHECK_FALSE(*s->opted_out(u1, b2));  // the numbers swapped
  auto listed = *s->list_opt_outs();
  REQUIRE(listed.size() == 3);
  CHECK((listed[0].business_number == b1 && listed[0].end_user_number == u1));
  CHECK((listed[1].business_number == b1 && listed[1].end_user_number == u2));
  CHECK((listed[1].since_ms == 2000 && listed[1].source == "import" && listed[1].keyword.empty()));
  CHECK((listed[2].business_number == b2 && listed[2].end_user_number == u1));
  CHECK((listed[2].since_ms == 1000 && listed[2].source == "keyword" && listed[2].keyword == "STOP"));
  CHECK(*s->count_opt_outs() == 3);

  // Registered again: the new time, source and keyword, still one row; within one call the
  // later entry for a pair wins.
  REQUIRE(s->add_opt_outs({{b2, u1, 4000, "twilio", "UNSUBSCRIBE"}, {b1, u2, 5000, "keyword", "QUIT"}, {b1, u2, 6000, "keyword", "END"}}));
  CHECK(*s->count_opt_outs() == 3);
  listed = *s->list_opt_outs();
  REQUIRE(listed.size() == 3);
  CHECK((listed[1].since_ms == 6000 && listed[1].source == "keyword" && listed[1].keyword == "END"));
  CHECK((listed[2].since_ms == 4000 && listed[2].source == "twilio" && listed[2].keyword == "UNSUBSCRIBE"));

  CHECK(*s->remove_opt_out(b2, u1));
  CHECK_FALSE(*s->remove_opt_out(b2, u1));
  CHECK_FALSE(*s->opted_out(b2, u1));
  CHECK(*s->opted_out(b1, u1));
  CHECK(*s->count_opt_outs() == 2);
  CHECK(backend.open()->list_opt_outs()->size() == 2);  // another connection sees them
}

CONTRACT_TEST("the opt-out register takes 10,000 pairs at once") {
  TestType backend;
  auto s = backend.open();
  std::vector<OptOut> many;
  for (int i = 0; i < 10'000; ++i)
    many.push_back({"+1555000000" + std::to_string(i % 3), "+1666" + std::to_string(1'000'000 + i), i, "import", ""});
  REQUIRE(s->add_opt_outs(many));
  CHECK(*s->count_opt_outs() == 10'000);
  CHECK(*s->opted_out("+15550000001", "+16661009997"));
  CHECK(s->list_opt_outs()->front().end_user_number == "+16661000000");
  REQUIRE(s->add_opt_outs(many));  // an import repeated changes nothing
  CHECK(*s->count_opt_outs() == 10'000);
  REQUIRE(s->add_opt_outs({}));
}

CONTRACT_TEST("a dead message's notice is stored with its outcome, once") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("out", {msg("A", "hello", Direction::outbound)}));
  auto m = s->claim_due(Direction::outbound, unix_ms_now(), 1, {})->at(0);
  Notices notices;
  REQUIRE(s->mark_dead(m.id, kUnsubscribed, notices.each()));
  REQUIRE(notices.seen.size() == 1);
  CHECK(notices.seen[0].id == m.id);
  CHECK(notices.seen[0].state == State::dead);  // as it is after the update
  CHECK(notices.seen[0].provider_code == "21610");
  CHECK(notices.seen[0].last_error == "21610 unsubscribed");
  auto notice = *s->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  REQUIRE(notice.size() == 1);
  CHECK(texts(notice) == std::vector<std::string>{"notice " + std::to_string(m.id)});
  CHECK(notice[0].conversation == "A");
  CHECK(notice[0].source_id == "notice-" + std::to_string(m.id));
  REQUIRE(s->mark_sent(notice[0].id, "inf-1"));

  // An operator retries it and it dies again: the notice's key was claimed the first time.
  CHECK(*s->retry(m.id) == 1);
  CHECK(s->claim_due(Direction::outbound, unix_ms_now(), 1, {})->at(0).id == m.id);
  REQUIRE(s->mark_dead(m.id, kUnsubscribed, notices.each()));
  CHECK(notices.seen.size() == 2);
  CHECK(s->claim_due(Direction::inbound, unix_ms_now(), 10, {})->empty());
  CHECK(all_of(*s, Direction::inbound).size() == 1);
}

CONTRACT_TEST("a revised payload is what every later attempt sends and its notice is stored once") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("out", {msg("A", "as mms", Direction::outbound), msg("A", "next", Direction::outbound)}));
  auto m = s->claim_due(Direction::outbound, unix_ms_now(), 1, {})->at(0);
  auto id = std::to_string(m.id);
  Notice notice{"notice:" + id + ":media", {Direction::inbound, "A", "notice-" + id, {{"text", "media notice"}}}};
  REQUIRE(s->revise(m.id, {{"text", "as text"}}, "media_not_supported", notice));
  auto revised = **s->get(m.id);
  CHECK(texts({revised}) == std::vector<std::string>{"as text"});
  CHECK(revised.state == State::sending);  // still this delivery's
  CHECK(revised.attempts == 0);
  auto logged = *s->attempts(m.id);
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].outcome == "revised");
  CHECK(logged[0].detail == "media_not_supported");

  // Handed back (a stop; after a crash, a requeue or a lapsed lease): the next claim of the
  // message takes the revised payload, and the delivery revising it again stores no second notice.
  REQUIRE(s->release({m.id}, 0));
  auto again = s->claim_due(Direction::outbound, unix_ms_now(), 1, {})->at(0);
  CHECK(again.id == m.id);
  CHECK(texts({again}) == std::vector<std::string>{"as text"});
  REQUIRE(s->revise(m.id, {{"text", "as text"}}, "media_not_supported", notice));
  auto inbound = all_of(*s, Direction::inbound);
  REQUIRE(inbound.size() == 1);
  CHECK(texts(inbound) == std::vector<std::string>{"media notice"});
  CHECK(inbound[0].state == State::queued);

  // Once sent, it is left as it is; and the conversation's next message comes after it as ever.
  REQUIRE(s->mark_sent(m.id, "SM1"));
  REQUIRE(s->revise(m.id, {{"text", "late"}}, "too late", std::nullopt));
  CHECK(texts({**s->get(m.id)}) == std::vector<std::string>{"as text"});
  CHECK(s->attempts(m.id)->size() == 3);  // revised, revised, sent
  CHECK(texts(*s->claim_due(Direction::outbound, unix_ms_now(), 10, {})) == std::vector<std::string>{"next"});
}

CONTRACT_TEST("each expired message's notice is stored with the expiry") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("a", {msg("A", "a1", Direction::outbound), msg("A", "a2", Direction::outbound)}));
  REQUIRE(s->enqueue("b", {msg("B", "b1", Direction::outbound)}));
  Notices notices;
  CHECK(*s->expire(Direction::outbound, unix_ms_now() + 1, notices.each()) == 3);
  REQUIRE(notices.seen.size() == 3);
  for (const auto& m : notices.seen) CHECK(m.state == State::expired);
  auto outbound = all_of(*s, Direction::outbound);
  REQUIRE(outbound.size() == 3);
  auto notice_text = [](const Message& m) { return "notice " + std::to_string(m.id); };
  // One head per conversation: A's second notice waits for its first.
  auto heads = *s->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  CHECK(texts(heads) == std::vector<std::string>{notice_text(outbound[0]), notice_text(outbound[2])});
  for (const auto& n : heads) REQUIRE(s->mark_sent(n.id, "inf"));
  CHECK(texts(*s->claim_due(Direction::inbound, unix_ms_now(), 10, {})) == std::vector<std::string>{notice_text(outbound[1])});
  CHECK((*s->counts())[State::expired] == 3);
  CHECK(*s->expire(Direction::outbound, unix_ms_now() + 1, notices.each()) == 0);
  CHECK(notices.seen.size() == 3);
}

CONTRACT_TEST("a failed status callback stores the message's notice once") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("k", {msg("A", "x", Direction::outbound), msg("B", "y", Direction::outbound)}));
  auto claimed = *s->claim_due(Direction::outbound, unix_ms_now(), 2, {});
  REQUIRE(claimed.size() == 2);
  REQUIRE(s->mark_sent(claimed[0].id, "SM1"));
  REQUIRE(s->mark_sent(claimed[1].id, "SM2"));
  Notices notices;
  CHECK(*s->record_status("SM2", State::delivered, "", notices.each()));  // only a failure has one
  CHECK(notices.seen.empty());
  CHECK(*s->record_status("SM1", State::failed, "30007", notices.each()));
  CHECK_FALSE(*s->record_status("SM1", State::failed, "30007", notices.each()));  // Twilio repeating itself
  REQUIRE(notices.seen.size() == 1);
  CHECK(notices.seen[0].id == claimed[0].id);
  CHECK(notices.seen[0].state == State::failed);
  CHECK(notices.seen[0].provider_code == "30007");
  auto inbound = all_of(*s, Direction::inbound);
  REQUIRE(inbound.size() == 1);
  CHECK(texts(inbound) == std::vector<std::string>{"notice " + std::to_string(claimed[0].id)});
  CHECK(inbound[0].state == State::queued);
}

CONTRACT_TEST("a notice waits behind its conversation's earlier inbound messages") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("in", {msg("X", "earlier")}));
  REQUIRE(s->enqueue("out", {msg("X", "reply", Direction::outbound)}));
  auto out = s->claim_due(Direction::outbound, unix_ms_now(), 1, {})->at(0);
  Notices notices;
  REQUIRE(s->mark_dead(out.id, kUnsubscribed, notices.each()));
  auto first = *s->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  CHECK(texts(first) == std::vector<std::string>{"earlier"});
  CHECK(s->claim_due(Direction::inbound, unix_ms_now(), 10, {})->empty());
  REQUIRE(s->mark_sent(first.at(0).id, "inf-1"));
  CHECK(texts(*s->claim_due(Direction::inbound, unix_ms_now(), 10, {})) == std::vector<std::string>{"notice " + std::to_string(out.id)});
}

CONTRACT_TEST("without a notice function, or when it gives none, no notice is stored") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("k", {msg("A", "a", Direction::outbound), msg("B", "b", Direction::outbound), msg("C", "c", Direction::outbound),
                           msg("D", "d", Direction::outbound)}));
  auto claimed = *s->claim_due(Direction::outbound, unix_ms_now(), 3, {});
  REQUIRE(claimed.size() == 3);
  int asked = 0;
  NoticeFor none = [&](const Message&) -> std::optional<Notice> {
    ++asked;
    return std::nullopt;
  };
  REQUIRE(s->mark_dead(claimed[0].id, kUnsubscribed, {}));
  REQUIRE(s->mark_dead(claimed[1].id, kUnsubscribed, none));
  REQUIRE(s->mark_sent(claimed[2].id, "SM-c"));
  CHECK(*s->record_status("SM-c", State::failed, "30007", {}));
  CHECK(*s->expire(Direction::outbound, unix_ms_now() + 1, {}) == 1);
  CHECK(asked == 1);
  CHECK(all_of(*s, Direction::inbound).empty());
  CHECK((*s->counts())[State::queued] == 0);
}

CONTRACT_TEST("a notice that cannot be stored undoes the outcome it came with") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("k", {msg("A", "a", Direction::outbound)}));
  auto m = s->claim_due(Direction::outbound, unix_ms_now(), 1, {})->at(0);
  NoticeFor unserialisable = [](const Message& failed) -> std::optional<Notice> {
    return Notice{"notice:" + std::to_string(failed.id), msg(failed.conversation, "\xff")};  // not UTF-8
  };
  CHECK_FALSE(s->mark_dead(m.id, kUnsubscribed, unserialisable));
  CHECK((*s->get(m.id))->state == State::sending);
  CHECK(s->attempts(m.id)->empty());
  // Nor was its key claimed: the outcome recorded again stores the notice.
  Notices notices;
  REQUIRE(s->mark_dead(m.id, kUnsubscribed, notices.each()));
  CHECK((*s->get(m.id))->state == State::dead);
  CHECK(all_of(*s, Direction::inbound).size() == 1);
}
