// The SQLite outbox's message counts by business number and state, kept in memory from the
// writing connection's own changes, so that /api/status, /metrics and status read a map instead
// of counting the table (30 ms at 100,000 messages, on every console refresh and every scrape).
// Private to src/store.
//
// SQLite's pre-update hook reports every row the writer inserts, updates or deletes, whatever the
// statement, so no way of changing `messages` can be missed; a transaction's changes count once
// it commits (commit hook). The counts are counted again from the table, on the writing
// connection (so that no commit falls between the count and its use), when they may be wrong: the
// first time (serve asks at start), after a failed write (the store's undone()), and when another connection (another
// process: an `outbox` command) wrote to the file (PRAGMA data_version). Triggers that kept a table of counts
// instead cost each message three statement executions on the writer, 15% of its instructions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "store/store.h"

namespace sms::store::sqlite {

class MessageCounts {
 public:
  using Key = std::pair<std::string, State>;  // business number, state
  using Counts = std::map<Key, std::int64_t>;  // numbers and states without messages left out

  // Watches `writer`'s changes from now on (its hooks point at this object).
  void watch(sqlite3* writer);
  // Under the writer's lock: a write failed, so what was seen of it may not be what stayed.
  void forget();
  // Under the writer's lock: the counts, first counted again on `writer` when they may be wrong.
  Counts checked(sqlite3* writer);
  // Without the writer's lock (it is busy committing): the counts as of its last commit, or
  // nullopt when they may be wrong.
  std::optional<Counts> last() const;

 private:
  static void changed(void* self, sqlite3* db, int op, const char* schema, const char* table, sqlite3_int64, sqlite3_int64);
  static int committing(void* self);
  static void rolled_back(void* self);
  void add(sqlite3* db, int which, std::int64_t delta);  // which: 0 the old row, 1 the new one

  mutable std::mutex mutex_;  // counts_ and known_: written under the writer's lock, read by last()
  Counts counts_;
  bool known_ = false;
  Counts pending_;                  // the transaction in progress; under the writer's lock
  std::int64_t data_version_ = -1;  // under the writer's lock
};

}  // namespace sms::store::sqlite
