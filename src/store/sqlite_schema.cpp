// The SQLite outbox's schema migrations, counted by PRAGMA user_version.
#include "store/sqlite_schema.h"

#include <iterator>
#include <string>

namespace sms::store::sqlite {
namespace {

// Ordered schema migrations; user_version records how many have run.
constexpr const char* kMigrations[] = {
    R"sql(
    CREATE TABLE messages (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      direction TEXT NOT NULL,
      state TEXT NOT NULL,
      conversation TEXT NOT NULL,
      source_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_ms INTEGER NOT NULL,
      updated_ms INTEGER NOT NULL,
      next_attempt_ms INTEGER NOT NULL,
      provider_id TEXT NOT NULL DEFAULT '',
      last_error TEXT NOT NULL DEFAULT '',
      provider_code TEXT NOT NULL DEFAULT '');
    CREATE INDEX messages_claim ON messages(direction, state, conversation, id);
    CREATE INDEX messages_provider ON messages(provider_id) WHERE provider_id <> '';
    CREATE INDEX messages_purge ON messages(state, updated_ms);
    CREATE TABLE dedupe (key TEXT PRIMARY KEY, created_ms INTEGER NOT NULL);
    CREATE TABLE attempts (
      message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
      at_ms INTEGER NOT NULL,
      outcome TEXT NOT NULL,
      detail TEXT NOT NULL);
    CREATE INDEX attempts_message ON attempts(message_id);
    )sql",
    // Unfinished messages only, so finding each conversation's head and expiring old messages
    // stay index seeks however many finished (or queued) messages the table holds.
    R"sql(
    CREATE INDEX messages_active ON messages(direction, conversation, id) WHERE state IN ('queued','sending');
    CREATE INDEX messages_expiry ON messages(direction, created_ms) WHERE state = 'queued';
    DROP INDEX messages_claim;  -- served only the old claim query; every state change paid for it
    )sql",
    // Every claim and delivery outcome paid for this index (state and updated_ms change each
    // time); it served only `outbox purge`, an operator's occasional command that may scan.
    R"sql(
    DROP INDEX messages_purge;
    )sql",
    // The opt-out register: one row per (business number, end user) pair, looked up by both.
    R"sql(
    CREATE TABLE opt_outs (
      business_number TEXT NOT NULL,
      end_user_number TEXT NOT NULL,
      since_ms INTEGER NOT NULL,
      source TEXT NOT NULL,
      keyword TEXT NOT NULL DEFAULT '',
      PRIMARY KEY (business_number, end_user_number)) WITHOUT ROWID;
    )sql",
    // Send pacing: each paced business number's next free send slot and Twilio's slowdown of it.
    R"sql(
    CREATE TABLE pacing (
      number TEXT PRIMARY KEY,
      next_free_us INTEGER NOT NULL,
      slowdown INTEGER NOT NULL,
      slowed_us INTEGER NOT NULL) WITHOUT ROWID;
    )sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

int user_version(sqlite3* db) {
  Statement v(db, "PRAGMA user_version");
  v.step();
  return static_cast<int>(v.integer(0));
}

}  // namespace

// Each step re-reads the version inside its write transaction, so several processes opening the
// same file at once apply each migration exactly once.
void migrate(sqlite3* db) {
  for (;;) {
    exec(db, "BEGIN IMMEDIATE");
    try {
      int version = user_version(db);
      if (version > kSchemaVersion)
        throw Failure{"schema version " + std::to_string(version) + " is newer than this infinity-sms (" +
                      std::to_string(kSchemaVersion) + "); upgrade infinity-sms"};
      if (version == kSchemaVersion) {
        exec(db, "ROLLBACK");
        return;
      }
      exec(db, kMigrations[version]);
      exec(db, ("PRAGMA user_version = " + std::to_string(version + 1)).c_str());
      exec(db, "COMMIT");
    } catch (const Failure&) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

}  // namespace sms::store::sqlite
