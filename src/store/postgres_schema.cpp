// The PostgreSQL outbox's schema migrations, applied under an advisory lock.
#include "store/postgres_schema.h"

#include <iterator>
#include <string>

#include "core/clock.h"

namespace sms::store::postgres {
namespace {

// Ordered schema migrations; infinity_sms_migrations records which have run.
constexpr const char* kMigrations[] = {
    R"sql(
    CREATE TABLE messages (
      id BIGSERIAL PRIMARY KEY,
      direction TEXT NOT NULL,
      state TEXT NOT NULL,
      conversation TEXT NOT NULL,
      source_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_ms BIGINT NOT NULL,
      updated_ms BIGINT NOT NULL,
      next_attempt_ms BIGINT NOT NULL,
      lease_until_ms BIGINT NOT NULL DEFAULT 0,
      provider_id TEXT NOT NULL DEFAULT '',
      last_error TEXT NOT NULL DEFAULT '',
      provider_code TEXT NOT NULL DEFAULT '');
    CREATE INDEX messages_active ON messages(direction, conversation, id) WHERE state IN ('queued','sending');
    CREATE INDEX messages_expiry ON messages(direction, created_ms) WHERE state = 'queued';
    CREATE INDEX messages_provider ON messages(provider_id) WHERE provider_id <> '';
    CREATE INDEX messages_purge ON messages(state, updated_ms);
    CREATE TABLE dedupe (key TEXT PRIMARY KEY, created_ms BIGINT NOT NULL);
    CREATE TABLE attempts (
      seq BIGSERIAL PRIMARY KEY,
      message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
      at_ms BIGINT NOT NULL,
      outcome TEXT NOT NULL,
      detail TEXT NOT NULL);
    CREATE INDEX attempts_message ON attempts(message_id, seq);
    )sql",
    // Conversation heads flagged and indexed by when they are due (see postgres_store.cpp);
    // migrate() flags the existing ones.
    R"sql(
    ALTER TABLE messages ADD COLUMN head BOOLEAN NOT NULL DEFAULT false;
    CREATE INDEX messages_due ON messages(direction, next_attempt_ms) WHERE head AND state = 'queued';
    CREATE INDEX messages_lapsed ON messages(direction, lease_until_ms) WHERE head AND state = 'sending';
    )sql",
    // The opt-out register, shared by every instance: one row per (business number, end user)
    // pair. Compared bytewise (COLLATE "C"), as in SQLite, so that listings come in the same order
    // from the primary key whatever the database's locale.
    R"sql(
    CREATE TABLE opt_outs (
      business_number TEXT COLLATE "C" NOT NULL,
      end_user_number TEXT COLLATE "C" NOT NULL,
      since_ms BIGINT NOT NULL,
      source TEXT NOT NULL,
      keyword TEXT NOT NULL DEFAULT '',
      PRIMARY KEY (business_number, end_user_number));
    )sql",
    // Send pacing, shared by every instance: each paced business number's next free send slot
    // and Twilio's slowdown of it.
    R"sql(
    CREATE TABLE pacing (
      number TEXT COLLATE "C" PRIMARY KEY,
      next_free_us BIGINT NOT NULL DEFAULT 0,
      slowdown BIGINT NOT NULL DEFAULT 1,
      slowed_us BIGINT NOT NULL DEFAULT 0);
    )sql",
    // How many messages each business number has in each state, kept by triggers in the
    // transaction that changes a message, so that /api/status and /metrics sum a few rows instead
    // of counting the whole table. Each database session adds to its own rows (shard: its
    // backend's pid), so concurrent transactions never wait for one another's counts; migrate()
    // folds the rows of sessions that have ended into shard 0. Rows may hold 0. Row triggers,
    // and only for a change of state: statement triggers over transition tables cost 10% more.
    R"sql(
    CREATE TABLE message_counts (
      number TEXT COLLATE "C" NOT NULL,
      state TEXT NOT NULL,
      shard INTEGER NOT NULL,
      n BIGINT NOT NULL,
      PRIMARY KEY (number, state, shard));
    INSERT INTO message_counts SELECT split_part(conversation, '|', 2), state, 0, COUNT(*) FROM messages GROUP BY 1, 2;
    CREATE FUNCTION infinity_sms_count_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO message_counts VALUES (split_part(NEW.conversation, '|', 2), NEW.state, pg_backend_pid(), 1)
          ON CONFLICT (number, state, shard) DO UPDATE SET n = message_counts.n + 1;
      ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO message_counts VALUES (split_part(OLD.conversation, '|', 2), OLD.state, pg_backend_pid(), -1)
          ON CONFLICT (number, state, shard) DO UPDATE SET n = message_counts.n - 1;
      ELSE
        INSERT INTO message_counts VALUES (split_part(OLD.conversation, '|', 2), OLD.state, pg_backend_pid(), -1),
                                          (split_part(NEW.conversation, '|', 2), NEW.state, pg_backend_pid(), 1)
          ON CONFLICT (number, state, shard) DO UPDATE SET n = message_counts.n + EXCLUDED.n;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER message_counts_change AFTER INSERT OR DELETE ON messages
      FOR EACH ROW EXECUTE FUNCTION infinity_sms_count_message();
    CREATE TRIGGER message_counts_state AFTER UPDATE OF state ON messages
      FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION infinity_sms_count_message();
    )sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));
// pg_advisory_xact_lock key held while migrating: "infinity" in ASCII.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(26980217376649593)";

}  // namespace

void migrate(Connection& c) {
  Transaction tx(c);
  c.exec(kMigrationLock);  // instances starting together migrate one after the other
  c.exec("CREATE TABLE IF NOT EXISTS infinity_sms_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)");
  auto v = c.exec("SELECT COALESCE(MAX(version), 0) FROM infinity_sms_migrations");
  int version = static_cast<int>(v.integer(0, 0));
  if (version > kSchemaVersion)
    throw Failure{"schema version " + std::to_string(version) + " is newer than this infinity-sms (" +
                  std::to_string(kSchemaVersion) + "); upgrade infinity-sms"};
  for (; version < kSchemaVersion; ++version) {
    c.exec(kMigrations[version]);
    c.exec("INSERT INTO infinity_sms_migrations(version, applied_ms) VALUES($1, $2)", {std::to_string(version + 1), std::to_string(unix_ms_now())});
  }
  // Conversations without a head: all of them right after the migration to schema 2, and
  // those whose messages an instance still on schema 1 (which flags none) queued since.
  // One pass over the unfinished messages (a lookup per message took 1.2 s at every start
  // with 100,000 queued; this, 0.09 s).
  c.exec("UPDATE messages m SET head = true WHERE id IN (SELECT min(id) FROM messages WHERE state IN ('queued','sending') "
         "GROUP BY direction, conversation) AND NOT head AND NOT EXISTS (SELECT 1 FROM messages h WHERE h.direction = "
         "m.direction AND h.conversation = m.conversation AND h.head AND h.state IN ('queued','sending'))");
  // The counts of sessions that have ended, folded into shard 0, so that the rows stay a few per
  // live session (a session that starts meanwhile with a reused pid waits for this, or this for
  // it: its row is locked either way).
  c.exec("WITH ended AS (DELETE FROM message_counts WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity) "
         "RETURNING number, state, n) INSERT INTO message_counts SELECT number, state, 0, SUM(n) FROM ended GROUP BY 1, 2 "
         "ON CONFLICT (number, state, shard) DO UPDATE SET n = message_counts.n + EXCLUDED.n");
  tx.commit();
}

}  // namespace sms::store::postgres
