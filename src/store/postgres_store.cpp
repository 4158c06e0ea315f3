// The shared outbox: PostgreSQL, for several serve instances acting as one connector.
// Instances claim deliveries with FOR UPDATE SKIP LOCKED and a lease: a claim not finished
// within the lease (its instance died) becomes claimable again. Per-conversation order holds
// across instances because only a conversation's head (its oldest unfinished message) is ever
// claimable, and it stays the head while any instance holds it.
//
// Every transaction that changes which message heads a conversation follows the rules of
// postgres_conversations.h, which keep exactly one head per conversation with unfinished work.
#include <algorithm>
#include <span>

#include "core/clock.h"
#include "store/postgres.h"
#include "store/postgres_conversations.h"
#include "store/postgres_opt_outs.h"
#include "store/postgres_pacing.h"
#include "store/postgres_schema.h"
#include "store/store.h"

namespace sms::store {
namespace {

using postgres::Connection;
using postgres::Conversations;
using postgres::Failure;
using postgres::in_locked_batches;
using postgres::lock_conversation;
using postgres::lock_conversations_of;
using postgres::promote;
using postgres::Rows;
using postgres::Transaction;

#define COLUMNS \
  "id, direction, state, conversation, source_id, payload, attempts, created_ms, updated_ms, next_attempt_ms, " \
  "provider_id, last_error, provider_code"

// Expires a conversation's queued messages created before $3 (direction $1, conversation $2, now
// $4) with their attempts rows; followed by a SELECT of what to return of them (e).
#define EXPIRE_CONVERSATION                                                                                   \
  "WITH e AS (UPDATE messages SET state = 'expired', head = false, updated_ms = $4 WHERE direction = $1 AND " \
  "conversation = $2 AND state = 'queued' AND created_ms < $3 RETURNING " COLUMNS "),"                       \
  " logged AS (INSERT INTO attempts(message_id, at_ms, outcome, detail) SELECT id, $4, 'expired', "          \
  "'older than the age limit' FROM e) "

// Whether a message's conversation is one a NumberFilter admits: mode (all, only, except) and
// business numbers (a text[] literal) in the parameters named.
#define ADMITTED_BY(mode, numbers) \
  "(" mode " = 'all' OR (split_part(conversation, '|', 2) = ANY(" numbers "::text[])) = (" mode " = 'only'))"

std::string mode_of(const NumberFilter& f) {
  return f.mode == NumberFilter::Mode::all ? "all" : f.mode == NumberFilter::Mode::only ? "only" : "except";
}

// A text[] literal: E.164 numbers need no quoting, but anything else is quoted all the same.
std::string array_of(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    out += out.size() > 1 ? ",\"" : "\"";
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Message read_message(const Rows& r, int row) {
  Message m;
  m.id = r.integer(row, 0);
  m.direction = parse_direction(r.text(row, 1)).value_or(Direction::inbound);
  m.state = parse_state(r.text(row, 2)).value_or(State::queued);
  m.conversation = r.text(row, 3);
  m.source_id = r.text(row, 4);
  m.payload = r.text(row, 5);
  m.attempts = static_cast<int>(r.integer(row, 6));
  m.created_ms = r.integer(row, 7);
  m.updated_ms = r.integer(row, 8);
  m.next_attempt_ms = r.integer(row, 9);
  m.provider_id = r.text(row, 10);
  m.last_error = r.text(row, 11);
  m.provider_code = r.text(row, 12);
  return m;
}

std::vector<Message> read_messages(const Rows& r) {
  std::vector<Message> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(read_message(r, i));
  return out;
}

std::string str(std::int64_t v) { return std::to_string(v); }

// Claims `key` and inserts `messages`, each conversation locked, in the caller's transaction (a
// webhook's, or the outcome a notice comes with); false, inserting nothing, if the key was
// claimed before. The unique key decides between instances taking the same webhook at once: the
// second waits for the first's commit, then finds the key taken.
bool store_new(Connection& c, const std::string& key, std::span<const NewMessage> messages, const std::string& now) {
  auto claimed = c.exec("INSERT INTO dedupe(key, created_ms) VALUES($1, $2) ON CONFLICT DO NOTHING", {key, now});
  if (claimed.affected() == 0) return false;
  Conversations conversations;
  for (const auto& m : messages) conversations.emplace(to_string(m.direction), m.conversation);
  for (const auto& [d, conversation] : conversations) lock_conversation(c, d, conversation);
  for (const auto& m : messages)
    c.exec("INSERT INTO messages(direction, state, conversation, source_id, payload, created_ms, updated_ms, "
           "next_attempt_ms, head) VALUES($1, 'queued', $2, $3, $4, $5, $5, $5, NOT EXISTS (SELECT 1 FROM messages "
           "WHERE direction = $1 AND conversation = $2 AND state IN ('queued','sending')))",
           {to_string(m.direction), m.conversation, m.source_id, m.payload.dump(), now});
  return true;
}

// Stores notice(failed), if it gives one, in the caller's transaction, which holds failed's
// conversation (the notice's is locked after it: see LockOrder).
void store_notice(Connection& c, const NoticeFor& notice, const Message& failed) {
  if (auto n = notice(failed)) store_new(c, n->dedupe_key, {&n->message, 1}, str(unix_ms_now()));
}

// The message `id` as the caller's transaction sees it, if there is one.
std::optional<Message> load(Connection& c, const std::string& id) {
  auto r = c.exec("SELECT " COLUMNS " FROM messages WHERE id = $1", {id});
  return r.size() ? std::optional<Message>(read_message(r, 0)) : std::nullopt;
}

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string url, int pool_size, std::int64_t lease_ms) : pool_(std::move(url), pool_size), lease_ms_(lease_ms) {}

  const char* backend() const override { return "postgresql"; }

  Result<void> migrate() {
    return run([&](Connection& c) { postgres::migrate(c); });
  }

  Result<Enqueued> enqueue(const std::string& key, const std::vector<NewMessage>& messages) override {
    return run([&](Connection& c) {
      Transaction tx(c);
      if (!store_new(c, key, messages, str(unix_ms_now()))) return Enqueued::duplicate;
      tx.commit();
      return Enqueued::stored;
    });
  }

  Result<std::vector<Message>> claim_due(Direction d, std::int64_t now_ms, std::size_t limit, const NumberFilter& filter) override {
    return run([&](Connection& c) {
      // A head is claimable when queued and due, or when its lease ran out (the instance holding
      // it is gone): the earliest due of each, read from their indexes. FOR UPDATE re-checks that
      // condition on rows another instance changed since this statement's snapshot, and SKIP
      // LOCKED passes over rows another instance is claiming right now, reading on.
      auto r = c.exec("WITH queued AS (SELECT id FROM messages WHERE direction = $1 AND head AND state = 'queued' AND"
                      "  next_attempt_ms <= $2 AND " ADMITTED_BY("$5", "$6") " ORDER BY next_attempt_ms LIMIT $3 FOR UPDATE SKIP LOCKED),"
                      " lapsed AS (SELECT id FROM messages WHERE direction = $1 AND head AND state = 'sending' AND"
                      "  lease_until_ms <= $2 AND " ADMITTED_BY("$5", "$6") " ORDER BY lease_until_ms LIMIT $3 FOR UPDATE SKIP LOCKED),"
                      " claimable AS (SELECT id AS claimed_id FROM (SELECT id FROM queued UNION ALL SELECT id FROM lapsed) u ORDER BY id LIMIT $3)"
                      " UPDATE messages SET state = 'sending', updated_ms = $2, lease_until_ms = $4 FROM claimable"
                      " WHERE messages.id = claimable.claimed_id RETURNING " COLUMNS,
                      {to_string(d), str(now_ms), str(static_cast<std::int64_t>(limit)), str(now_ms + lease_ms_),
                       mode_of(filter), array_of(filter.numbers)});
      auto out = read_messages(r);
      std::sort(out.begin(), out.end(), [](const Message& a, const Message& b) { return a.id < b.id; });
      return out;
    });
  }

  Result<void> mark_sent(std::int64_t id, const std::string& provider_id) override {
    return outcome(
        "UPDATE messages SET state = 'sent', head = false, provider_id = $3, last_error = '', provider_code = '', "
        "attempts = attempts + 1, updated_ms = $2 WHERE id = $1 RETURNING id, 'sent', $3",
        {str(id), str(unix_ms_now()), provider_id}, true);
  }

  Result<void> mark_retry(std::int64_t id, std::int64_t next_ms, const Error& e) override {
    return outcome(
        "UPDATE messages SET state = 'queued', next_attempt_ms = $4, last_error = $3, provider_code = $5, "
        "attempts = attempts + 1, updated_ms = $2 WHERE id = $1 RETURNING id, 'retry', $3",
        {str(id), str(unix_ms_now()), e.message, str(next_ms), e.provider_code}, false);
  }

  Result<void> mark_dead(std::int64_t id, const Error& e, const NoticeFor& notice) override {
    return outcome(
        "UPDATE messages SET state = 'dead', head = false, last_error = $3, provider_code = $4, attempts = attempts + 1, "
        "updated_ms = $2 WHERE id = $1 RETURNING id, 'dead', $3",
        {str(id), str(unix_ms_now()), e.message, e.provider_code}, true, notice);
  }

  Result<void> revise(std::int64_t id, const nlohmann::json& payload, const std::string& why,
                      const std::optional<Notice>& notice) override {
    // No head changes (the message stays sending): only the notice's conversation is locked, by store_new.
    return run([&](Connection& c) {
      Transaction tx(c);
      auto now = str(unix_ms_now());
      auto r = c.exec("WITH u AS (UPDATE messages SET payload = $2, updated_ms = $3 WHERE id = $1 AND state = 'sending' "
                      "RETURNING id) INSERT INTO attempts(message_id, outcome, detail, at_ms) SELECT id, 'revised', $4, $3 FROM u",
                      {str(id), payload.dump(), now, why});
      if (r.affected() == 0) return;
      if (notice) store_new(c, notice->dedupe_key, {&notice->message, 1}, now);
      tx.commit();
    });
  }

  Result<void> release(const std::vector<std::int64_t>& ids, std::int64_t due_ms) override {
    return run([&](Connection& c) {
      for (auto id : ids)
        c.exec("UPDATE messages SET state = 'queued', lease_until_ms = 0, next_attempt_ms = GREATEST(next_attempt_ms, $2) "
               "WHERE id = $1 AND state = 'sending'",
               {str(id), str(due_ms)});
    });
  }

  Result<int> expire(Direction d, std::int64_t created_before_ms, const NoticeFor& notice) override {
    // The expired messages come back whole only when they get notices.
    const char* update = notice ? EXPIRE_CONVERSATION "SELECT " COLUMNS " FROM e" : EXPIRE_CONVERSATION "SELECT id FROM e";
    return run([&](Connection& c) {
      // One conversation at a time, locked (a message an operator requeued meanwhile in another
      // conversation waits for the next expiry), and each expiry's notice in its batch.
      return in_locked_batches(
          c, "SELECT DISTINCT direction, conversation FROM messages WHERE direction = $1 AND state = 'queued' AND created_ms < $2",
          {to_string(d), str(created_before_ms)}, [&](const std::string& direction, const std::string& conversation) {
            auto r = c.exec(update, {direction, conversation, str(created_before_ms), str(unix_ms_now())});
            promote(c, direction, conversation);
            if (notice)
              for (int i = 0; i < r.size(); ++i) store_notice(c, notice, read_message(r, i));
            return r.size();
          });
    });
  }

  Result<bool> record_status(const std::string& provider_id, State state, const std::string& error_code,
                             const NoticeFor& notice) override {
    return run([&](Connection& c) {
      if (state != State::sent && state != State::delivered && state != State::failed) return false;
      if (provider_id.empty()) return false;  // would match every message not yet sent
      // Only forward: sending/sent may become sent (from sending only), delivered or failed. A
      // message still sending finishes here (the callback came before the relay recorded it).
      Transaction tx(c);
      auto conversations = lock_conversations_of(
          c, "SELECT direction, conversation FROM messages WHERE provider_id = $1 AND state = 'sending'", {provider_id});
      auto r = c.exec("WITH u AS (UPDATE messages SET state = $2, head = false, updated_ms = $3, provider_code = CASE WHEN $4 <> '' "
                      "THEN $4 ELSE provider_code END WHERE provider_id = $1 AND (state = 'sending' OR "
                      "(state = 'sent' AND $2 <> 'sent')) RETURNING id),"
                      " logged AS (INSERT INTO attempts(message_id, at_ms, outcome, detail) SELECT id, $3, 'status:' || $2, $4 FROM u)"
                      " SELECT id FROM u",
                      {provider_id, to_string(state), str(unix_ms_now()), error_code});
      for (const auto& [d, conversation] : conversations) promote(c, d, conversation);
      if (state == State::failed && notice)
        for (int i = 0; i < r.size(); ++i)
          if (auto failed = load(c, r.text(i, 0))) store_notice(c, notice, *failed);
      tx.commit();
      return r.size() > 0;
    });
  }

  Result<int> make_due(Direction d, std::int64_t now_ms, const NumberFilter& filter) override {
    // Only heads are ever retried, so only theirs can wait (messages_due serves the search).
    return run([&](Connection& c) {
      auto r = c.exec("UPDATE messages SET next_attempt_ms = $2 WHERE direction = $1 AND head AND state = 'queued' AND "
                      "next_attempt_ms > $2 AND " ADMITTED_BY("$3", "$4"),
                      {to_string(d), str(now_ms), mode_of(filter), array_of(filter.numbers)});
      return static_cast<int>(r.affected());
    });
  }

  Result<int> requeue_in_flight() override {
    // Other instances' claims are theirs until their lease runs out; only lapsed ones return.
    return run([&](Connection& c) {
      auto now = str(unix_ms_now());
      auto r = c.exec("UPDATE messages SET state = 'queued', next_attempt_ms = $1 WHERE state = 'sending' AND lease_until_ms <= $1", {now});
      return static_cast<int>(r.affected());
    });
  }

  Result<std::vector<Message>> list(std::optional<State> state, std::size_t limit) override {
    return run([&](Connection& c) {
      return read_messages(c.exec("SELECT " COLUMNS " FROM messages WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2",
                                  {state ? to_string(*state) : "", str(static_cast<std::int64_t>(limit))}));
    });
  }

  Result<std::vector<Message>> find_messages(const MessageFilter& f) override {
    return run([&](Connection& c) {
      // The primary key walked down from before_id: each filter only skips rows, so no index it
      // would need is paid for by every claim and outcome.
      return read_messages(c.exec("SELECT " COLUMNS " FROM messages WHERE id < $1 AND ($2 = '' OR direction = $2)"
                                  " AND ($3 = '' OR state = $3) AND ($4 = '' OR split_part(conversation, '|', 1) = $4"
                                  " OR split_part(conversation, '|', 2) = $4) AND ($5 = '' OR id = $6"
                                  " OR strpos(source_id, $5) > 0 OR strpos(provider_id, $5) > 0) ORDER BY id DESC LIMIT $7",
                                  {str(f.before_id), f.direction ? to_string(*f.direction) : "", f.state ? to_string(*f.state) : "",
                                   f.number, f.text, str(f.text_id()), str(static_cast<std::int64_t>(f.limit))}));
    });
  }

  Result<std::optional<Message>> get(std::int64_t id) override {
    return run([&](Connection& c) {
      auto r = c.exec("SELECT " COLUMNS " FROM messages WHERE id = $1", {str(id)});
      return r.size() ? std::optional<Message>(read_message(r, 0)) : std::nullopt;
    });
  }

  Result<std::vector<Attempt>> attempts(std::int64_t id) override {
    return run([&](Connection& c) {
      auto r = c.exec("SELECT at_ms, outcome, detail FROM attempts WHERE message_id = $1 ORDER BY seq", {str(id)});
      std::vector<Attempt> out;
      for (int i = 0; i < r.size(); ++i) out.push_back({r.integer(i, 0), r.text(i, 1), r.text(i, 2)});
      return out;
    });
  }

  Result<int> retry(std::int64_t id) override { return requeue("id = $1", id); }
  Result<int> retry_all_dead() override { return requeue("state = 'dead' AND $1::bigint = $1", 0); }

  Result<Purged> purge(std::int64_t before_ms, std::size_t batch) override {
    return run([&](Connection& c) {
      // sent counts as final here: some carriers never send a delivery receipt. Messages are
      // found through messages_purge; keys by a scan that stops at `batch` old ones, which holds
      // up no insert (row versions, not table locks).
      Transaction tx(c);
      auto m = c.exec("DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE state IN "
                      "('sent','delivered','failed','dead','expired') AND updated_ms < $1 LIMIT $2)",
                      {str(before_ms), str(static_cast<std::int64_t>(batch))});
      // Dedupe keys of the same age go too: no provider redelivers a webhook that late.
      auto k = c.exec("DELETE FROM dedupe WHERE key IN (SELECT key FROM dedupe WHERE created_ms < $1 LIMIT $2)",
                      {str(before_ms), str(static_cast<std::int64_t>(batch))});
      tx.commit();
      return Purged{static_cast<std::int64_t>(m.affected()), static_cast<std::int64_t>(k.affected())};
    });
  }

  Result<std::map<State, std::int64_t>> counts() override {
    return run([&](Connection& c) {
      std::map<State, std::int64_t> out;
      for (int i = 0; i < 7; ++i) out[static_cast<State>(i)] = 0;
      auto r = c.exec("SELECT state, SUM(n) FROM message_counts GROUP BY state");
      for (int i = 0; i < r.size(); ++i)
        if (auto st = parse_state(r.text(i, 0))) out[*st] = r.integer(i, 1);
      return out;
    });
  }

  Result<std::optional<std::int64_t>> oldest_queued_created_ms() override {
    return run([&](Connection& c) {
      auto r = c.exec("SELECT MIN(created_ms) FROM messages WHERE state IN ('queued','sending')");
      return r.null(0, 0) ? std::optional<std::int64_t>() : std::optional<std::int64_t>(r.integer(0, 0));
    });
  }

  Result<std::vector<NumberCount>> counts_by_number() override {
    return run([&](Connection& c) {
      std::vector<NumberCount> out;
      auto r = c.exec("SELECT c.number, c.state, c.n, COALESCE(o.oldest, 0) FROM (SELECT number, state, SUM(n) AS n "
                      "FROM message_counts GROUP BY 1, 2) c LEFT JOIN (SELECT split_part(conversation, '|', 2) AS number, state, "
                      "MIN(created_ms) AS oldest FROM messages WHERE state IN ('queued','sending') GROUP BY 1, 2) o "
                      "USING (number, state) WHERE c.n > 0");
      for (int i = 0; i < r.size(); ++i)
        if (auto st = parse_state(r.text(i, 1))) out.push_back({r.text(i, 0), *st, r.integer(i, 2), r.integer(i, 3)});
      return out;
    });
  }

  Result<void> add_opt_outs(const std::vector<OptOut>& opt_outs) override {
    return run([&](Connection& c) { postgres::opt_outs::add(c, opt_outs); });
  }
  Result<bool> remove_opt_out(const std::string& business_number, const std::string& end_user_number) override {
    return run([&](Connection& c) { return postgres::opt_outs::remove(c, business_number, end_user_number); });
  }
  Result<bool> opted_out(const std::string& business_number, const std::string& end_user_number) override {
    return run([&](Connection& c) { return postgres::opt_outs::contains(c, business_number, end_user_number); });
  }
  Result<std::vector<OptOut>> list_opt_outs() override {
    return run([&](Connection& c) { return postgres::opt_outs::list(c); });
  }
  Result<std::int64_t> count_opt_outs() override {
    return run([&](Connection& c) { return postgres::opt_outs::count(c); });
  }

  Result<Slot> reserve_slot(const std::string& number, std::int64_t now_us, std::int64_t cost_us, std::int64_t window_us) override {
    return run([&](Connection& c) {
      Slot slot;
      postgres::pacing::update(c, number, [&](Pace& p) { slot = reserve(p, now_us, cost_us, window_us); });
      return slot;
    });
  }
  Result<void> slow_down(const std::string& number, std::int64_t now_us, std::int64_t until_us) override {
    return run([&](Connection& c) { postgres::pacing::update(c, number, [&](Pace& p) { store::slow_down(p, now_us, until_us); }); });
  }

  Result<void> check_writable() override {
    // A read-only standby (after a failover gone wrong) answers SELECT but refuses writes.
    return run([&](Connection& c) {
      if (c.exec("SELECT pg_is_in_recovery()").text(0, 0) == "t") throw Failure{"the server is a read-only standby"};
    });
  }

 private:
  template <class F>
  auto run(F&& f) -> Result<decltype(f(std::declval<Connection&>()))> {
    try {
      auto c = pool_.acquire();
      if constexpr (std::is_void_v<decltype(f(*c))>) {
        f(*c);
        return {};
      } else {
        return f(*c);
      }
    } catch (const std::exception& e) {  // e.g. a payload the JSON serialiser refuses; rolled back
      return fail(ErrorKind::internal, std::string("store (postgresql): ") + e.what());
    } catch (const Failure& e) {
      return fail(e.unreachable ? ErrorKind::network : ErrorKind::internal, "store (postgresql): " + e.message);
    }
  }

  // A delivery's outcome and its attempts row, in one statement: `update` returns the row to log.
  // One that `finishes` the message (sent, dead) passes its conversation's head on, and stores
  // notice(the message), if any.
  Result<void> outcome(const std::string& update, const postgres::Params& params, bool finishes, const NoticeFor& notice = {}) {
    return run([&](Connection& c) {
      auto log = "WITH u AS (" + update + ") INSERT INTO attempts(message_id, outcome, detail, at_ms) SELECT u.*, $2 FROM u";
      if (!finishes) {
        c.exec(log.c_str(), params);
        return;
      }
      Transaction tx(c);
      auto conversations = lock_conversations_of(c, "SELECT direction, conversation FROM messages WHERE id = $1", {params[0]});
      auto logged = c.exec(log.c_str(), params);
      for (const auto& [d, conversation] : conversations) promote(c, d, conversation);
      if (notice && logged.affected() > 0)
        if (auto failed = load(c, params[0])) store_notice(c, notice, *failed);
      tx.commit();
    });
  }

  Result<int> requeue(const std::string& where, std::int64_t id) {
    return run([&](Connection& c) {
      auto finished = " AND state IN ('dead','failed','expired')";
      auto update = "UPDATE messages SET state = 'queued', next_attempt_ms = $2, updated_ms = $2, provider_id = '', "
                    "lease_until_ms = 0 WHERE direction = $3 AND conversation = $4 AND " + where + finished;
      return in_locked_batches(
          c, ("SELECT DISTINCT direction, conversation FROM messages WHERE " + where + finished).c_str(), {str(id)},
          [&](const std::string& direction, const std::string& conversation) {
            // The old provider id goes: a late status callback for the old send must not move the retry.
            auto r = c.exec(update.c_str(), {str(id), str(unix_ms_now()), direction, conversation});
            // A requeued message older than the head becomes the head.
            c.exec("UPDATE messages SET head = false WHERE direction = $1 AND conversation = $2 AND head", {direction, conversation});
            promote(c, direction, conversation);
            return static_cast<int>(r.affected());
          });
    });
  }

  postgres::Pool pool_;
  const std::int64_t lease_ms_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const std::string& url, int pool_size, std::chrono::milliseconds lease) {
  auto store = std::make_unique<PostgresStore>(url, pool_size, lease.count());
  if (auto r = store->migrate(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sms::store
