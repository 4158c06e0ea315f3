// store.retention: serve purges finished messages and dedupe keys older than the limit by
// itself, and keeps newer ones, unfinished ones, and everything when the limit is 0.
#include <sqlite3.h>

#include <csignal>

#include "core/clock.h"
#include "serve_fixture.h"

using namespace itest;
using sms::store::Direction;
using sms::store::Enqueued;
using sms::store::State;

namespace {

constexpr std::int64_t kThreeDaysMs = 3LL * 24 * 3600 * 1000;

sms::store::NewMessage message(const std::string& conversation) {
  return {Direction::inbound, conversation, "SM-" + conversation, json{{"text", "x"}}};
}

// With serve stopped: `old` finished messages (keys "old-<i>") made three days old, `fresh`
// finished ones (keys "new-<i>") of now, and one still queued that is three days old.
void fill(Serve& s, int old, int fresh) {
  {
    auto store = s.store();
    auto add_sent = [&](const std::string& key) {
      REQUIRE(*store->enqueue(key, {message(key)}) == Enqueued::stored);
      auto claimed = store->claim_due(Direction::inbound, sms::unix_ms_now(), 1, {});
      REQUIRE(claimed->size() == 1);
      REQUIRE(store->mark_sent(claimed->at(0).id, "id-" + key));
    };
    for (int i = 0; i < old; ++i) add_sent("old-" + std::to_string(i));
    for (int i = 0; i < fresh; ++i) add_sent("new-" + std::to_string(i));
    REQUIRE(*store->enqueue("old-queued", {message("old-queued")}) == Enqueued::stored);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((s.dir.file("data") + "/outbox.db").c_str(), &db) == SQLITE_OK);
  auto age = "UPDATE messages SET created_ms = created_ms - " + std::to_string(kThreeDaysMs) +
             ", updated_ms = updated_ms - " + std::to_string(kThreeDaysMs) + ", next_attempt_ms = 0 WHERE source_id LIKE 'SM-old-%';"
             "UPDATE dedupe SET created_ms = created_ms - " + std::to_string(kThreeDaysMs) + " WHERE key LIKE 'old-%';";
  CHECK(sqlite3_exec(db, age.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

json retention_config(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, const std::string& retention) {
  auto cfg = fake_config(tw, inf);
  cfg["store"] = {{"retention", retention}};
  return cfg;
}

void stop(Serve& s) {
  s.child->signal(SIGTERM);
  REQUIRE(s.child->wait(30s) == 0);
}

}  // namespace

TEST_CASE("serve purges finished messages and dedupe keys older than store.retention", "[serve][retention]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(retention_config(tw, inf, "2d"));
  stop(s);
  fill(s, 700, 3);  // several purge steps (kPurgeBatch)
  s.start();
  auto line = s.child->wait_for_line("retention: purged", 20s);
  INFO(s.child->output());
  REQUIRE(line);
  // The old queued message was not finished: it ends now (expired or delivered), which keeps it;
  // its key was old.
  CHECK(line->find("purged 700 finished message(s) and 701 dedupe key(s) older than 2d") != std::string::npos);
  auto store = s.store();
  CHECK(*store->enqueue("old-1", {message("again")}) == Enqueued::stored);      // its key went
  CHECK(*store->enqueue("new-1", {message("again")}) == Enqueued::duplicate);   // newer keys stay
  auto left = *store->list(std::nullopt, 1000);
  int fresh = 0, old_queued = 0;
  for (auto& m : left) {
    fresh += m.source_id.starts_with("SM-new-");
    old_queued += m.source_id == "SM-old-queued";
  }
  CHECK(fresh == 3);
  CHECK(old_queued == 1);
}

TEST_CASE("store.retention 0 keeps everything", "[serve][retention]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(retention_config(tw, inf, "0"));
  stop(s);
  fill(s, 5, 1);
  s.start();
  stop(s);  // the first pass has run by the time serve exits
  CHECK(s.child->output().find("retention: purged") == std::string::npos);
  CHECK((*s.store()->counts())[State::sent] >= 6);
  CHECK(*s.store()->enqueue("old-1", {message("again")}) == Enqueued::duplicate);
}

TEST_CASE("a store.retention shorter than providers redeliver is refused", "[serve][retention]") {
  fakes::TempDir dir;
  auto r = fakes::run({"--config", dir.file("config.json"), "config", "set", "store.retention", "1h"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("at least 2d") != std::string::npos);
}
