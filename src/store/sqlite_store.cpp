// The embedded outbox: SQLite in WAL mode. synchronous=FULL makes every commit durable against
// power loss as well as process crashes (NORMAL in WAL mode survives a crash of the process but
// may lose the last commits on power loss); a webhook is acknowledged only after its commit.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/clock.h"
#include "store/sqlite_connections.h"
#include "store/sqlite_counts.h"
#include "store/sqlite_heads.h"
#include "store/sqlite_opt_outs.h"
#include "store/sqlite_pacing.h"
#include "store/store.h"

namespace sms::store {
namespace {

namespace fs = std::filesystem;
using sqlite::Failure;
using sqlite::Statement;

// What an update of messages returns for ConversationHeads::reload.
#define CHANGED_CONVERSATION "RETURNING direction, conversation"

constexpr const char* kColumns =
    "id, direction, state, conversation, source_id, payload, attempts, created_ms, updated_ms, "
    "next_attempt_ms, provider_id, last_error, provider_code";

Message read_message(const Statement& s) {
  Message m;
  m.id = s.integer(0);
  m.direction = parse_direction(s.text(1)).value_or(Direction::inbound);
  m.state = parse_state(s.text(2)).value_or(State::queued);
  m.conversation = s.text(3);
  m.source_id = s.text(4);
  m.payload = s.text(5);
  m.attempts = static_cast<int>(s.integer(6));
  m.created_ms = s.integer(7);
  m.updated_ms = s.integer(8);
  m.next_attempt_ms = s.integer(9);
  m.provider_id = s.text(10);
  m.last_error = s.text(11);
  m.provider_code = s.text(12);
  return m;
}

class SqliteStore final : public Store, sqlite::Connections {
 public:
  explicit SqliteStore(fs::path file) : Connections(std::move(file)) {}
  const char* backend() const override { return "sqlite"; }
  Result<void> open() {
    auto opened = Connections::open();
    if (!opened) return opened;
    counts_.watch(db_);  // counted at the first counts(): serve asks at start, the outbox commands may never
    return opened;
  }

  Result<Enqueued> enqueue(const std::string& key, const std::vector<NewMessage>& messages) override {
    auto result = Enqueued::stored;
    auto done = batches_.run(Durability::power_loss, [&] {
      if (!store_new(key, messages, unix_ms_now())) result = Enqueued::duplicate;
    });
    if (!done) return std::unexpected(done.error());
    return result;
  }

  Result<std::vector<Message>> claim_due(Direction d, std::int64_t now_ms, std::size_t limit, const NumberFilter& filter) override {
    // A claim joins the group commit like an outcome: in a transaction of its own it cost a
    // commit and its own WAL pages each time, and took the connection from the batches of
    // webhooks waiting to be acknowledged.
    std::vector<Message> out;
    auto done = batches_.run(Durability::process_crash, [&] {
      // The head of each conversation (its oldest unfinished message) is claimable when queued and
      // due: picked from the heads kept in memory, oldest first.
      heads_.refresh();
      auto due = heads_.due(d, now_ms, limit, filter);
      auto& mark = cached("UPDATE messages SET state = 'sending', updated_ms = ?2 WHERE id = ?1");
      for (auto id : due) {
        out.push_back(load(id));
        mark.bind(1, id).bind(2, now_ms).step();
        mark.reset();
        out.back().state = State::sending;
        heads_.claimed(d, out.back().conversation);
      }
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<void> mark_sent(std::int64_t id, const std::string& provider_id) override {
    return outcome(id, "UPDATE messages SET state = 'sent', provider_id = ?2, last_error = '', provider_code = '', "
                       "attempts = attempts + 1, updated_ms = ?9 WHERE id = ?1 " CHANGED_CONVERSATION, "sent", provider_id,
                   [&](Statement& s) { s.bind(2, provider_id); });
  }

  Result<void> mark_retry(std::int64_t id, std::int64_t next_ms, const Error& e) override {
    return outcome(id, "UPDATE messages SET state = 'queued', next_attempt_ms = ?2, last_error = ?3, provider_code = ?4, "
                       "attempts = attempts + 1, updated_ms = ?9 WHERE id = ?1 " CHANGED_CONVERSATION, "retry", e.message,
                   [&](Statement& s) { s.bind(2, next_ms).bind(3, e.message).bind(4, e.provider_code); });
  }

  Result<void> mark_dead(std::int64_t id, const Error& e, const NoticeFor& notice) override {
    return outcome(id, "UPDATE messages SET state = 'dead', last_error = ?2, provider_code = ?3, "
                       "attempts = attempts + 1, updated_ms = ?9 WHERE id = ?1 " CHANGED_CONVERSATION, "dead", e.message,
                   [&](Statement& s) { s.bind(2, e.message).bind(3, e.provider_code); }, notice);
  }

  Result<void> revise(std::int64_t id, const nlohmann::json& payload, const std::string& why,
                      const std::optional<Notice>& notice) override {
    return batches_.run(Durability::process_crash, [&] {
      auto now = unix_ms_now();
      auto& s = cached("UPDATE messages SET payload = ?2, updated_ms = ?3 WHERE id = ?1 AND state = 'sending'");
      s.bind(1, id).bind(2, payload.dump()).bind(3, now).step();
      s.reset();
      if (sqlite3_changes(db_) == 0) return;
      add_attempt(id, now, "revised", why);
      if (notice) store_new(notice->dedupe_key, {&notice->message, 1}, now);
    });
  }

  Result<void> release(const std::vector<std::int64_t>& ids, std::int64_t due_ms) override {
    return run([&] {
      Transaction tx(*this, Durability::process_crash);
      auto& s = cached("UPDATE messages SET state = 'queued', next_attempt_ms = max(next_attempt_ms, ?2) "
                       "WHERE id = ?1 AND state = 'sending' " CHANGED_CONVERSATION);
      for (auto id : ids) {
        if (s.bind(1, id).bind(2, due_ms).step()) heads_.reload(s);
        s.reset();
      }
      tx.commit();
    });
  }

  Result<int> expire(Direction d, std::int64_t created_before_ms, const NoticeFor& notice) override {
    return run([&] {
      Transaction tx(*this, Durability::process_crash);
      auto now = unix_ms_now();
      auto& log = cached("INSERT INTO attempts(message_id, at_ms, outcome, detail) SELECT id, ?3, 'expired', "
                         "'older than the age limit' FROM messages WHERE direction = ?1 AND state = 'queued' AND created_ms < ?2");
      log.bind(1, to_string(d)).bind(2, created_before_ms).bind(3, now).step();
      log.reset();
      static const std::string update = std::string("UPDATE messages SET state = 'expired', updated_ms = ?3 WHERE direction = ?1 AND "
                                                    "state = 'queued' AND created_ms < ?2 RETURNING ") + kColumns;
      auto& s = cached(update.c_str());
      s.bind(1, to_string(d)).bind(2, created_before_ms).bind(3, now);
      int n = 0;
      std::vector<Message> expired;  // only read when they get notices
      while (s.step()) {
        ++n;
        if (notice) expired.push_back(read_message(s));
      }
      s.reset();
      for (const auto& m : expired) store_notice(notice, m, now);
      tx.commit();
      if (n > 0) heads_.forget();
      return n;
    });
  }

  Result<bool> record_status(const std::string& provider_id, State state, const std::string& error_code,
                             const NoticeFor& notice) override {
    return run([&] {
      if (state != State::sent && state != State::delivered && state != State::failed) return false;
      if (provider_id.empty()) return false;  // would match every message not yet sent
      Transaction tx(*this);
      auto now = unix_ms_now();
      // Only forward: sending/sent may become sent (from sending only), delivered or failed.
      auto update = [](const char* from) {
        return std::string("UPDATE messages SET state = ?2, updated_ms = ?3, provider_code = CASE WHEN ?4 <> '' THEN ?4 "
                           "ELSE provider_code END WHERE provider_id = ?1 AND state IN ") + from + " " CHANGED_CONVERSATION ", id";
      };
      static const std::string from_sending = update("('sending')"), from_sending_or_sent = update("('sending','sent')");
      auto& s = cached((state == State::sent ? from_sending : from_sending_or_sent).c_str());
      s.bind(1, provider_id).bind(2, to_string(state)).bind(3, now).bind(4, error_code);
      std::vector<std::int64_t> ids;
      while (s.step()) {
        heads_.reload(s);
        ids.push_back(s.integer(2));
      }
      s.reset();
      for (auto id : ids) add_attempt(id, now, std::string("status:") + to_string(state), error_code);
      if (state == State::failed && notice)
        for (auto id : ids) store_notice(notice, load(id), now);
      tx.commit();
      return !ids.empty();
    });
  }

  Result<int> make_due(Direction d, std::int64_t now_ms, const NumberFilter& filter) override {
    return run([&] {
      Transaction tx(*this, Durability::process_crash);
      // ?3: 0 every conversation, 1 only the business numbers of ?4 (a JSON array), 2 all but those.
      auto& s = cached("UPDATE messages SET next_attempt_ms = ?2 WHERE direction = ?1 AND state = 'queued' AND next_attempt_ms > ?2"
                       " AND (?3 = 0 OR (substr(conversation, instr(conversation, '|') + 1) IN (SELECT value FROM json_each(?4))) = (?3 = 1))");
      s.bind(1, to_string(d)).bind(2, now_ms).bind(3, static_cast<std::int64_t>(filter.mode)).bind(4, nlohmann::json(filter.numbers).dump()).step();
      s.reset();
      int n = sqlite3_changes(db_);
      tx.commit();
      if (n > 0) heads_.forget();
      return n;
    });
  }

  Result<int> requeue_in_flight() override {
    return run([&] {
      Statement s(db_, "UPDATE messages SET state = 'queued', next_attempt_ms = ?1 WHERE state = 'sending'");
      s.bind(1, unix_ms_now()).step();
      heads_.forget();
      return sqlite3_changes(db_);
    });
  }

  Result<std::vector<Message>> list(std::optional<State> state, std::size_t limit) override {
    return read([&] {
      Statement s(reader_, std::string("SELECT ") + kColumns + " FROM messages WHERE (?1 = '' OR state = ?1) ORDER BY id DESC LIMIT ?2");
      s.bind(1, state ? to_string(*state) : "").bind(2, static_cast<std::int64_t>(limit));
      std::vector<Message> out;
      while (s.step()) out.push_back(read_message(s));
      return out;
    });
  }

  Result<std::vector<Message>> find_messages(const MessageFilter& f) override {
    return read([&] {
      // The rowid walked down from before_id: each filter only skips rows, so no index it would
      // need is paid for by every claim and outcome.
      Statement s(reader_, std::string("SELECT ") + kColumns +
                               " FROM messages WHERE id < ?1 AND (?2 = '' OR direction = ?2) AND (?3 = '' OR state = ?3)"
                               " AND (?4 = '' OR substr(conversation, 1, instr(conversation, '|') - 1) = ?4"
                               " OR substr(conversation, instr(conversation, '|') + 1) = ?4)"
                               " AND (?5 = '' OR id = ?6 OR instr(source_id, ?5) > 0 OR instr(provider_id, ?5) > 0)"
                               " ORDER BY id DESC LIMIT ?7");
      s.bind(1, f.before_id).bind(2, f.direction ? to_string(*f.direction) : "").bind(3, f.state ? to_string(*f.state) : "");
      s.bind(4, f.number).bind(5, f.text).bind(6, f.text_id()).bind(7, static_cast<std::int64_t>(f.limit));
      std::vector<Message> out;
      while (s.step()) out.push_back(read_message(s));
      return out;
    });
  }

  Result<std::optional<Message>> get(std::int64_t id) override {
    return read([&] {
      Statement s(reader_, std::string("SELECT ") + kColumns + " FROM messages WHERE id = ?1");
      s.bind(1, id);
      return s.step() ? std::optional<Message>(read_message(s)) : std::nullopt;
    });
  }

  Result<std::vector<Attempt>> attempts(std::int64_t id) override {
    return read([&] {
      Statement s(reader_, "SELECT at_ms, outcome, detail FROM attempts WHERE message_id = ?1 ORDER BY rowid");
      s.bind(1, id);
      std::vector<Attempt> out;
      while (s.step()) out.push_back({s.integer(0), s.text(1), s.text(2)});
      return out;
    });
  }

  Result<int> retry(std::int64_t id) override { return requeue("id = ?1", id); }
  Result<int> retry_all_dead() override { return requeue("state = 'dead' AND ?1 = ?1", 0); }

  Result<Purged> purge(std::int64_t before_ms, std::size_t batch) override {
    // The rows to delete are found on the reader connection, which a scan of a large table
    // holds up no writer; the delete itself, by primary key, joins the group commit (a few
    // milliseconds for a batch), so webhooks go on being acknowledged while a purge runs.
    // sent counts as final here: some carriers never send a delivery receipt.
    auto found = read([&] {
      std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> ids;
      Statement m(reader_, "SELECT id FROM messages WHERE state IN ('sent','delivered','failed','dead','expired') "
                           "AND updated_ms < ?1 ORDER BY id LIMIT ?2");
      m.bind(1, before_ms).bind(2, static_cast<std::int64_t>(batch));
      while (m.step()) ids.first.push_back(m.integer(0));
      Statement k(reader_, "SELECT rowid FROM dedupe WHERE created_ms < ?1 ORDER BY rowid LIMIT ?2");
      k.bind(1, before_ms).bind(2, static_cast<std::int64_t>(batch));
      while (k.step()) ids.second.push_back(k.integer(0));
      return ids;
    });
    if (!found) return std::unexpected(found.error());
    Purged purged;
    auto done = batches_.run(Durability::process_crash, [&] {
      purged = {};
      // The conditions again: an operator may have retried a dead message since it was found.
      auto& message = cached("DELETE FROM messages WHERE id = ?1 AND updated_ms < ?2 AND "
                             "state IN ('sent','delivered','failed','dead','expired')");
      for (auto id : found->first) {
        message.bind(1, id).bind(2, before_ms).step();
        message.reset();
        purged.messages += sqlite3_changes(db_);
      }
      // Dedupe keys of the same age go too: no provider redelivers a webhook that late.
      auto& key = cached("DELETE FROM dedupe WHERE rowid = ?1 AND created_ms < ?2");
      for (auto rowid : found->second) {
        key.bind(1, rowid).bind(2, before_ms).step();
        key.reset();
        purged.keys += sqlite3_changes(db_);
      }
    });
    if (!done) return std::unexpected(done.error());
    return purged;
  }

  Result<std::map<State, std::int64_t>> counts() override {
    auto kept = kept_counts();
    if (!kept) return std::unexpected(kept.error());
    std::map<State, std::int64_t> out;
    for (int i = 0; i < 7; ++i) out[static_cast<State>(i)] = 0;
    for (const auto& [key, n] : *kept) out[key.second] += n;
    return out;
  }

  Result<std::optional<std::int64_t>> oldest_queued_created_ms() override {
    return read([&] {
      Statement s(reader_, "SELECT MIN(created_ms) FROM messages WHERE state IN ('queued','sending')");
      s.step();
      return s.text(0).empty() ? std::optional<std::int64_t>() : std::optional<std::int64_t>(s.integer(0));  // NULL: none
    });
  }

  Result<std::vector<NumberCount>> counts_by_number() override {
    auto kept = kept_counts();
    if (!kept) return std::unexpected(kept.error());
    auto oldest = read([&] {  // among the unfinished messages only (a partial index)
      sqlite::MessageCounts::Counts out;
      Statement s(reader_, "SELECT substr(conversation, instr(conversation, '|') + 1), state, MIN(created_ms) FROM messages "
                           "WHERE state IN ('queued','sending') GROUP BY 1, 2");
      while (s.step())
        if (auto st = parse_state(s.text(1))) out[{s.text(0), *st}] = s.integer(2);
      return out;
    });
    if (!oldest) return std::unexpected(oldest.error());
    std::vector<NumberCount> out;
    for (const auto& [key, n] : *kept) {
      auto at = oldest->find(key);
      out.push_back({key.first, key.second, n, at == oldest->end() ? 0 : at->second});
    }
    return out;
  }

  Result<void> add_opt_outs(const std::vector<OptOut>& opt_outs) override {
    return run([&] {
      Transaction tx(*this);
      sqlite::opt_outs::add(db_, opt_outs);
      tx.commit();
    });
  }
  Result<bool> remove_opt_out(const std::string& business_number, const std::string& end_user_number) override {
    return run([&] { return sqlite::opt_outs::remove(db_, business_number, end_user_number); });
  }
  Result<bool> opted_out(const std::string& business_number, const std::string& end_user_number) override {
    return read([&] { return sqlite::opt_outs::contains(reader_, business_number, end_user_number); });
  }
  Result<std::vector<OptOut>> list_opt_outs() override {
    return read([&] { return sqlite::opt_outs::list(reader_); });
  }
  Result<std::int64_t> count_opt_outs() override {
    return read([&] { return sqlite::opt_outs::count(reader_); });
  }

  Result<Slot> reserve_slot(const std::string& number, std::int64_t now_us, std::int64_t cost_us, std::int64_t window_us) override {
    Slot slot;
    auto done = batches_.run(Durability::process_crash, [&] {
      sqlite::pacing::update(db_, number, [&](Pace& p) { slot = reserve(p, now_us, cost_us, window_us); });
    });
    if (!done) return std::unexpected(done.error());
    return slot;
  }
  Result<void> slow_down(const std::string& number, std::int64_t now_us, std::int64_t until_us) override {
    return batches_.run(Durability::process_crash, [&] {
      sqlite::pacing::update(db_, number, [&](Pace& p) { store::slow_down(p, now_us, until_us); });
    });
  }

  Result<void> check_writable() override {
    return run([&] { sqlite::exec(db_, "BEGIN IMMEDIATE; ROLLBACK;"); });
  }

 private:
  // Claims `key` and inserts `messages`, in the caller's transaction (a webhook's, or the outcome
  // a notice comes with); false, inserting nothing, if the key was claimed before.
  bool store_new(const std::string& key, std::span<const NewMessage> messages, std::int64_t now) {
    auto& claim = cached("INSERT INTO dedupe(key, created_ms) VALUES(?1, ?2) ON CONFLICT(key) DO NOTHING");
    claim.bind(1, key).bind(2, now).step();
    claim.reset();
    if (sqlite3_changes(db_) == 0) return false;
    auto& insert = cached("INSERT INTO messages(direction, state, conversation, source_id, payload, created_ms, "
                          "updated_ms, next_attempt_ms) VALUES(?1, 'queued', ?2, ?3, ?4, ?5, ?5, ?5)");
    for (const auto& m : messages) {
      insert.bind(1, to_string(m.direction)).bind(2, m.conversation).bind(3, m.source_id);
      insert.bind(4, m.payload.dump()).bind(5, now).step();
      insert.reset();
      // A conversation's first unfinished message is its head (if this job is undone, so is
      // the whole copy: see undo_job).
      heads_.added(m.direction, m.conversation, sqlite3_last_insert_rowid(db_), now);
    }
    return true;
  }

  // Stores notice(failed), if it gives one, in the caller's transaction.
  void store_notice(const NoticeFor& notice, const Message& failed, std::int64_t now) {
    if (auto n = notice(failed)) store_new(n->dedupe_key, {&n->message, 1}, now);
  }

  Message load(std::int64_t id) {
    static const std::string sql = std::string("SELECT ") + kColumns + " FROM messages WHERE id = ?1";
    auto& get = cached(sql.c_str());
    if (!get.bind(1, id).step()) throw Failure{"message " + std::to_string(id) + " vanished"};
    auto m = read_message(get);
    get.reset();
    return m;
  }

  void add_attempt(std::int64_t id, std::int64_t now, const std::string& outcome, const std::string& detail) {
    auto& a = cached("INSERT INTO attempts(message_id, at_ms, outcome, detail) VALUES(?1, ?2, ?3, ?4)");
    a.bind(1, id).bind(2, now).bind(3, outcome).bind(4, detail).step();
    a.reset();
  }

  // A delivery's outcome: the message's new state, an attempts row and notice(the message), if
  // any, batched with whatever else is being committed (relay bookkeeping: see Durability). The
  // notice function runs on whichever caller's thread commits the batch, while its own waits.
  template <class Bind>
  Result<void> outcome(std::int64_t id, const char* update, const std::string& what, const std::string& detail, Bind bind,
                       const NoticeFor& notice = {}) {
    return batches_.run(Durability::process_crash, [&] {
      auto now = unix_ms_now();
      auto& s = cached(update);
      s.bind(1, id).bind(9, now);
      bind(s);
      bool found = s.step();
      if (found) heads_.reload(s);
      s.reset();
      add_attempt(id, now, what, detail);
      if (found && notice) store_notice(notice, load(id), now);
    });
  }

  Result<int> requeue(const std::string& where, std::int64_t id) {
    return run([&] {
      // The old provider id goes: a late status callback for the old send must not move the retry.
      Statement s(db_, "UPDATE messages SET state = 'queued', next_attempt_ms = ?2, updated_ms = ?2, provider_id = '' WHERE " + where +
                           " AND state IN ('dead','failed','expired')");
      s.bind(1, id).bind(2, unix_ms_now()).step();
      heads_.forget();
      return sqlite3_changes(db_);
    });
  }

  void undone() override {
    heads_.forget();
    counts_.forget();
  }

  // The kept counts: checked against the file when the writer is free, else as of its last commit
  // (a status never waits for a commit stuck behind another process's lock).
  Result<sqlite::MessageCounts::Counts> kept_counts() {
    if (auto checked = try_run([&] { return counts_.checked(db_); })) return *checked;
    if (auto last = counts_.last()) return *last;
    return run([&] { return counts_.checked(db_); });
  }

  sqlite::MessageCounts counts_;  // see sqlite_counts.h
  sqlite::ConversationHeads heads_{[this](const char* sql) -> Statement& { return cached(sql); }};  // under the writer's lock
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file) {
  auto store = std::make_unique<SqliteStore>(file);
  if (auto r = store->open(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sms::store
