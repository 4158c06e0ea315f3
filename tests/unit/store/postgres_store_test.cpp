// What only the shared backend has to do: several instances on one database, leases, concurrent
// migrations, an unreachable database, and the local spool.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "fakes/process.h"
#include "fakes/test_database.h"
#include "store/store.h"

using namespace sms;
using namespace sms::store;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Store> instance(const fakes::TestDatabase& db, std::chrono::milliseconds lease = 60s) {
  auto s = open_postgres(db.url(), 4, lease);
  if (!s) FAIL(s.error().message);
  return std::move(*s);
}

NewMessage msg(const std::string& conv, int seq) { return {Direction::inbound, conv, "src", {{"seq", seq}}}; }

std::vector<int> read_seqs(const std::vector<Message>& ms) {
  std::vector<int> out;
  for (const auto& m : ms) out.push_back(json::parse(m.payload)["seq"].get<int>());
  return out;
}

}  // namespace

TEST_CASE("instances sharing a database never claim a message twice and keep each conversation's order") {
  fakes::TestDatabase db;
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < 3; ++i) instances.push_back(instance(db));
  constexpr int kConversations = 10, kPerConversation = 30;
  for (int n = 0; n < kPerConversation; ++n)
    for (int c = 0; c < kConversations; ++c)
      REQUIRE(instances[0]->enqueue("k" + std::to_string(c) + "-" + std::to_string(n), {msg("C" + std::to_string(c), n)}));

  std::mutex mutex;
  std::map<std::string, std::vector<int>> claimed;  // conversation → seq, in claim order
  std::atomic<int> done{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w)
    workers.emplace_back([&, w] {
      auto& s = *instances[w % 3];
      auto deadline = std::chrono::steady_clock::now() + 60s;
      while (done < kConversations * kPerConversation && std::chrono::steady_clock::now() < deadline) {
        auto batch = s.claim_due(Direction::inbound, unix_ms_now(), 3, {});
        if (!batch) FAIL(batch.error().message);
        {
          std::lock_guard lock(mutex);
          for (const auto& m : *batch) claimed[m.conversation].push_back(json::parse(m.payload)["seq"].get<int>());
        }
        for (const auto& m : *batch) {
          REQUIRE(s.mark_sent(m.id, "SM" + std::to_string(m.id)));
          ++done;
        }
      }
    });
  for (auto& t : workers) t.join();
  REQUIRE(done == kConversations * kPerConversation);
  std::vector<int> in_order(kPerConversation);
  for (int n = 0; n < kPerConversation; ++n) in_order[n] = n;
  for (int c = 0; c < kConversations; ++c) CHECK(claimed["C" + std::to_string(c)] == in_order);  // once each, in order
  CHECK((*instances[1]->counts())[State::sent] == kConversations * kPerConversation);
}

TEST_CASE("instances enqueueing and delivering at once deliver everything once, in each conversation's order") {
  // Enqueues race with the outcomes that pass a conversation's head on: neither may leave a
  // conversation without a head (stuck) or with two (out of order).
  fakes::TestDatabase db;
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < 3; ++i) instances.push_back(instance(db));
  constexpr int kProducers = 4, kPerProducer = 60, kConversations = 3;
  constexpr int kTotal = kProducers * kPerProducer;
  std::mutex mutex;
  std::map<std::string, std::vector<std::int64_t>> claimed_ids;                 // conversation → ids, in claim order
  std::map<std::pair<std::string, int>, std::vector<int>> claimed_by_producer;  // (conversation, producer) → seq
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      for (int n = 0; n < kPerProducer; ++n) {
        auto conv = "C" + std::to_string(n % kConversations);
        NewMessage m{Direction::inbound, conv, "src", {{"producer", p}, {"seq", n}}};
        REQUIRE(instances[p % 3]->enqueue("p" + std::to_string(p) + "-" + std::to_string(n), {m}));
      }
    });
  for (int w = 0; w < 6; ++w)
    threads.emplace_back([&, w] {
      auto& s = *instances[w % 3];
      auto deadline = std::chrono::steady_clock::now() + 60s;
      while (done < kTotal && std::chrono::steady_clock::now() < deadline) {
        auto batch = s.claim_due(Direction::inbound, unix_ms_now(), 2, {});
        if (!batch) FAIL(batch.error().message);
        for (const auto& m : *batch) {
          auto body = json::parse(m.payload);
          {
            std::lock_guard lock(mutex);
            claimed_ids[m.conversation].push_back(m.id);
            claimed_by_producer[{m.conversation, body["producer"].get<int>()}].push_back(body["seq"].get<int>());
          }
          REQUIRE(s.mark_sent(m.id, "SM" + std::to_string(m.id)));
          ++done;
        }
      }
    });
  for (auto& t : threads) t.join();
  REQUIRE(done == kTotal);  // none stuck, none twice
  for (const auto& [conv, ids] : claimed_ids) CHECK(std::is_sorted(ids.begin(), ids.end()));
  for (const auto& [key, seqs] : claimed_by_producer) CHECK(std::is_sorted(seqs.begin(), seqs.end()));
  CHECK((*instances[0]->counts())[State::sent] == kTotal);
}

TEST_CASE("a message queued while its conversation's head finishes elsewhere becomes the head") {
  fakes::TestDatabase db;
  auto a = instance(db);
  auto b = instance(db);
  REQUIRE(a->enqueue("k1", {msg("A", 1)}));
  auto first = a->claim_due(Direction::inbound, unix_ms_now(), 10, {})->at(0);
  // Every insert now takes 300 ms: the enqueue below is still running when the head finishes.
  db.exec("CREATE FUNCTION slow_insert() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$ LANGUAGE plpgsql;"
          "CREATE TRIGGER slow_insert BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow_insert()");
  std::thread enqueue([&] { REQUIRE(b->enqueue("k2", {msg("A", 2)})); });
  std::this_thread::sleep_for(100ms);
  REQUIRE(a->mark_sent(first.id, "SM1"));
  enqueue.join();
  auto next = *a->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  REQUIRE(next.size() == 1);
  CHECK(json::parse(next[0].payload)["seq"] == 2);
}

TEST_CASE("a schema-1 database is upgraded with its backlog, and what older instances queue is flagged at the next start") {
  fakes::TestDatabase db;
  { auto s = instance(db); }
  auto queue = [&](const std::string& conversation, int seq) {
    db.exec("INSERT INTO messages(direction, state, conversation, source_id, payload, created_ms, updated_ms, next_attempt_ms) "
            "VALUES ('inbound', 'queued', '" + conversation + "', 'src', '{\"seq\":" + std::to_string(seq) + "}', 0, 0, 0)");
  };
  // Back to schema 1 (no head flags), with a backlog queued by an instance of that version.
  db.exec("ALTER TABLE messages DROP COLUMN head; DROP TABLE opt_outs; DROP TABLE pacing; DROP TABLE message_counts; "
          "DROP FUNCTION infinity_sms_count_message CASCADE; DELETE FROM infinity_sms_migrations WHERE version >= 2");
  queue("A", 1);
  queue("A", 2);
  auto s = instance(db);  // migrates
  auto claim = [&](Store& st) { return read_seqs(*st.claim_due(Direction::inbound, unix_ms_now(), 10, {})); };
  auto a1 = s->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  REQUIRE(a1->size() == 1);
  CHECK(json::parse(a1->at(0).payload)["seq"] == 1);
  REQUIRE(s->mark_sent(a1->at(0).id, "SM1"));
  CHECK(claim(*s) == std::vector<int>{2});
  queue("B", 1);  // an instance still on schema 1, during the upgrade
  CHECK(claim(*instance(db)) == std::vector<int>{1});  // the next start flags it
}

TEST_CASE("a database from before the kept counts is counted when it is migrated") {
  fakes::TestDatabase db;
  {
    auto s = instance(db);
    REQUIRE(s->enqueue("k1", {msg("A|+15550100", 1), msg("B|+15550200", 2)}));
    auto claimed = *s->claim_due(Direction::inbound, unix_ms_now(), 1, {});
    REQUIRE(claimed.size() == 1);
    REQUIRE(s->mark_sent(claimed[0].id, "X"));
  }
  db.exec("DROP TABLE message_counts; DROP FUNCTION infinity_sms_count_message CASCADE; "
          "DELETE FROM infinity_sms_migrations WHERE version >= 5");
  auto s = instance(db);  // migrates
  auto counts = *s->counts();
  CHECK(counts[State::queued] == 1);
  CHECK(counts[State::sent] == 1);
  CHECK(s->counts_by_number()->size() == 2);
}

TEST_CASE("each database session keeps its own counts, and those of ended sessions are folded at the next start") {
  fakes::TestDatabase db;
  {
    auto a = instance(db);
    auto b = instance(db);
    std::thread other([&] {
      for (int i = 0; i < 50; ++i) REQUIRE(b->enqueue("b" + std::to_string(i), {msg("B" + std::to_string(i) + "|+15550100", 1)}));
    });
    for (int i = 0; i < 50; ++i) REQUIRE(a->enqueue("a" + std::to_string(i), {msg("A" + std::to_string(i) + "|+15550100", 1)}));
    other.join();
    CHECK((*a->counts())[State::queued] == 100);
    CHECK(std::stoi(db.query("SELECT COUNT(DISTINCT shard) FROM message_counts")) >= 2);
  }
  for (int i = 0; i < 100 && db.query("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                                      "pid <> pg_backend_pid()") != "0"; ++i)
    std::this_thread::sleep_for(50ms);  // the server ends a session just after its client leaves
  auto c = instance(db);  // the sessions of a and b have ended
  CHECK(db.query("SELECT string_agg(shard || ':' || n, ',') FROM message_counts") == "0:100");
  CHECK((*c->counts())[State::queued] == 100);
}

TEST_CASE("a dead instance's claim returns to the pool when its lease runs out, still first in its conversation") {
  fakes::TestDatabase db;
  auto survivor = instance(db);
  {
    auto doomed = instance(db, 300ms);
    REQUIRE(doomed->enqueue("k1", {msg("A", 1), msg("A", 2)}));
    REQUIRE(doomed->claim_due(Direction::inbound, unix_ms_now(), 10, {})->size() == 1);
  }  // gone without releasing or finishing its claim
  CHECK(survivor->claim_due(Direction::inbound, unix_ms_now(), 10, {})->empty());  // held, and 2 waits for 1
  std::this_thread::sleep_for(350ms);
  auto again = *survivor->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  REQUIRE(again.size() == 1);
  CHECK(json::parse(again[0].payload)["seq"] == 1);
  REQUIRE(survivor->mark_sent(again[0].id, "SM1"));
  CHECK(json::parse(survivor->claim_due(Direction::inbound, unix_ms_now(), 10, {})->at(0).payload)["seq"] == 2);
}

TEST_CASE("instances starting together on an empty database migrate it once") {
  fakes::TestDatabase db;
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      if (open_postgres(db.url(), 1, 60s)) ++opened;
    });
  for (auto& t : threads) t.join();
  CHECK(opened == 6);
  db.exec("DO $$ BEGIN IF (SELECT COUNT(*) <> MAX(version) FROM infinity_sms_migrations) THEN RAISE 'migrated twice'; END IF; END $$");
}

TEST_CASE("an unreachable database is a network error that never shows the password") {
  auto s = open_postgres("postgresql://sms:hunter2-secret@127.0.0.1:1/outbox", 2, 60s);
  REQUIRE_FALSE(s);
  CHECK(s.error().kind == ErrorKind::network);
  CHECK(s.error().message.find("cannot connect to PostgreSQL") != std::string::npos);
  CHECK(s.error().message.find("hunter2") == std::string::npos);
}

TEST_CASE("while the database is unreachable webhooks go to the local spool, and move to it in order when it returns") {
  fakes::TestDatabase db;
  fakes::TempDir dir;
  auto tree = config::Config().tree();
  tree["store"]["url"] = db.url();
  config::Config config(tree);
  auto name = db.url().substr(db.url().rfind('/') + 1);
  // Refusing connections to this database and dropping the open ones: an outage of this database
  // only, without disturbing the tests running beside it on the cluster.
  auto outage = [&](bool on) {
    fakes::TestDatabase::admin_exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS " + (on ? "false" : "true"));
    if (on) fakes::TestDatabase::admin_exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
  };
  {
    auto s = open_for_serve(config, dir.path());
    REQUIRE(s);
    REQUIRE(*(*s)->enqueue("k1", {msg("A", 1)}) == Enqueued::stored);
    outage(true);
    CHECK(*(*s)->enqueue("k2", {msg("A", 2), msg("A", 3)}) == Enqueued::stored);
    CHECK(*(*s)->enqueue("k2", {msg("A", 2), msg("A", 3)}) == Enqueued::duplicate);  // Twilio's retry
    CHECK((*s)->spooled() == 1);
    CHECK((*s)->check_writable());  // still takes webhooks: the load balancer keeps this instance
    CHECK_FALSE((*s)->counts());
  }  // stopped during the outage: the spool file keeps k2
  outage(false);
  auto s = open_for_serve(config, dir.path());
  REQUIRE(s);
  CHECK(*(*s)->enqueue("k4", {msg("A", 4)}) == Enqueued::stored);  // behind the spooled webhook
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((*s)->spooled() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  REQUIRE((*s)->spooled() == 0);
  std::vector<int> order;
  for (;;) {
    auto batch = *(*s)->claim_due(Direction::inbound, unix_ms_now(), 10, {});
    if (batch.empty()) break;
    order.push_back(json::parse(batch.at(0).payload)["seq"]);
    REQUIRE((*s)->mark_sent(batch[0].id, "SM"));
  }
  CHECK(order == std::vector<int>{1, 2, 3, 4});
  CHECK(*(*s)->enqueue("k2", {msg("A", 2)}) == Enqueued::duplicate);  // the key moved with it
}

TEST_CASE("expiry and retry of many conversations go in batches, each conversation passing its head on") {
  fakes::TestDatabase db;
  auto s = instance(db);
  // 120 conversations (three batches), each with a message to expire and one queued after it.
  db.exec("INSERT INTO messages(direction, state, conversation, source_id, payload, created_ms, updated_ms, next_attempt_ms, head) "
          "SELECT 'inbound', 'queued', 'C' || i, 'src', '{\"seq\":1}', 0, 0, 0, true FROM generate_series(1, 120) i");
  db.exec("INSERT INTO messages(direction, state, conversation, source_id, payload, created_ms, updated_ms, next_attempt_ms) "
          "SELECT 'inbound', 'queued', 'C' || i, 'src', '{\"seq\":2}', 1000, 1000, 1000 FROM generate_series(1, 120) i");
  CHECK(*s->expire(Direction::inbound, 500, {}) == 120);
  auto due = *s->claim_due(Direction::inbound, unix_ms_now(), 200, {});
  REQUIRE(due.size() == 120);
  for (const auto& m : due) CHECK(json::parse(m.payload)["seq"] == 2);
  for (const auto& m : due) REQUIRE(s->mark_dead(m.id, Error{ErrorKind::permanent, "gone", 400, "", "", {}}, {}));
  CHECK(*s->retry_all_dead() == 120);
  CHECK(s->claim_due(Direction::inbound, unix_ms_now(), 200, {})->size() == 120);
}

TEST_CASE("a webhook for a conversation being expired waits for one batch of the expiry, not all of it") {
  fakes::TestDatabase db;
  auto a = instance(db);
  auto b = instance(db);
  db.exec("INSERT INTO messages(direction, state, conversation, source_id, payload, created_ms, updated_ms, next_attempt_ms, head) "
          "SELECT 'inbound', 'queued', 'C' || lpad(i::text, 3, '0'), 'src', '{}', 0, 0, 0, true FROM generate_series(1, 300) i");
  // Expiring a message now takes 10 ms: 3 s for all 300.
  db.exec("CREATE FUNCTION slow_expiry() RETURNS trigger AS $$ BEGIN IF NEW.state = 'expired' THEN PERFORM pg_sleep(0.01); END IF;"
          " RETURN NEW; END $$ LANGUAGE plpgsql;"
          "CREATE TRIGGER slow_expiry BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION slow_expiry()");
  std::thread expiry([&] {
    auto n = a->expire(Direction::inbound, 1, {});
    CHECK((n && *n == 300));
  });
  std::this_thread::sleep_for(300ms);  // C001, the first locked, is expired by now
  auto t0 = std::chrono::steady_clock::now();
  auto stored = b->enqueue("k", {msg("C001", 2)});
  auto took = std::chrono::steady_clock::now() - t0;
  expiry.join();  // before any REQUIRE can leave the test with the thread running
  REQUIRE(stored);
  CHECK(took < 1500ms);
  auto next = *b->claim_due(Direction::inbound, unix_ms_now(), 10, {});
  REQUIRE(next.size() == 1);
  CHECK(json::parse(next[0].payload)["seq"] == 2);
}

TEST_CASE("an import of opt-outs larger than one statement is stored all or none") {
  fakes::TestDatabase db;
  auto s = instance(db);
  std::vector<OptOut> many;
  for (int i = 0; i < 2500; ++i) many.push_back({"+15550000001", "+1666" + std::to_string(1'000'000 + i), i, "import", "STOP \"x\", {y}\\"});
  many.back().keyword = "\xff";  // refused by the database, in the third statement
  CHECK_FALSE(s->add_opt_outs(many));
  CHECK(*s->count_opt_outs() == 0);
  many.back().keyword = "";
  REQUIRE(s->add_opt_outs(many));
  CHECK(*s->count_opt_outs() == 2500);
  CHECK(s->list_opt_outs()->front().keyword == "STOP \"x\", {y}\\");  // an array element quoted whole
}

TEST_CASE("notices stored with outcomes and a retry of every dead message never wait for each other in a cycle") {
  fakes::TestDatabase db;
  auto a = instance(db);
  auto b = instance(db);
  const Error gone{ErrorKind::permanent, "gone", 400, "", "", {}};
  NoticeFor notice = [](const Message& failed) -> std::optional<Notice> {
    return Notice{"notice:" + std::to_string(failed.id), {Direction::inbound, failed.conversation, "notice", {{"seq", 0}}}};
  };
  for (int round = 0; round < 5; ++round) {
    // In each conversation: a dead inbound message, a dead outbound one and a later outbound one
    // in flight, whose death (with a notice) races the retry of both dead ones.
    constexpr int kConversations = 40;
    for (int c = 0; c < kConversations; ++c) {
      auto conversation = "R" + std::to_string(round) + "-" + std::to_string(c);
      REQUIRE(a->enqueue("in-" + conversation, {msg(conversation, 1)}));
      REQUIRE(a->enqueue("out-" + conversation, {{Direction::outbound, conversation, "src", {{"seq", 1}}},
                                                 {Direction::outbound, conversation, "src", {{"seq", 2}}}}));
    }
    for (auto d : {Direction::inbound, Direction::outbound}) {
      auto heads = *a->claim_due(d, unix_ms_now(), 100, {});
      for (const auto& m : heads) REQUIRE(a->mark_dead(m.id, gone, {}));
    }
    auto in_flight = *a->claim_due(Direction::outbound, unix_ms_now(), 100, {});
    REQUIRE(in_flight.size() == kConversations);
    Result<int> retried = 0;
    std::thread retry([&] { retried = b->retry_all_dead(); });
    for (const auto& m : in_flight)
      if (auto dead = a->mark_dead(m.id, gone, notice); !dead) FAIL_CHECK(dead.error().message);
    retry.join();
    if (!retried) FAIL_CHECK(retried.error().message);
    CHECK(*b->retry_all_dead() + (retried ? *retried : 0) >= 2 * kConversations);
    for (auto d : {Direction::inbound, Direction::outbound})
      while (true) {  // finish everything before the next round
        auto due = *a->claim_due(d, unix_ms_now(), 100, {});
        if (due.empty()) break;
        for (const auto& m : due) REQUIRE(a->mark_sent(m.id, "SM"));
      }
  }
}
