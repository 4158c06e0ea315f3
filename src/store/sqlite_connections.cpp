// The SQLite store's writer and reader connections, its transactions and group commit batches.
#include "store/sqlite_connections.h"

#include <algorithm>

#include "store/sqlite_schema.h"

namespace sms::store::sqlite {

Connections::~Connections() {
  statements_.clear();  // finalized before the connection closes
  sqlite3_close(db_);
  sqlite3_close(reader_);
}

Result<void> Connections::open() {
  return run([&] {
    db_ = sqlite::open(file_);
    exec(db_, "PRAGMA foreign_keys=ON;");
    migrate(db_);
    reader_ = sqlite::open(file_);
    exec(reader_, "PRAGMA query_only=ON; PRAGMA cache_size=-512;");  // its scans read each page once
  });
}

Connections::Transaction::Transaction(Connections& c, Durability d) : c_(c), relaxed_(d == Durability::process_crash) {
  if (relaxed_) c_.step("PRAGMA synchronous=NORMAL");
  c_.step("BEGIN IMMEDIATE");
}

void Connections::Transaction::commit() {
  c_.step("COMMIT");
  done_ = true;
}

Connections::Transaction::~Transaction() {
  try {
    if (!done_) c_.step("ROLLBACK");
    if (relaxed_) c_.step("PRAGMA synchronous=FULL");
  } catch (const Failure&) {  // nothing left to undo: the connection rolls back on its own
  }
}

void Connections::commit_batch(const std::vector<GroupCommit::Job*>& batch) {
  bool durable = std::any_of(batch.begin(), batch.end(), [](const GroupCommit::Job* j) { return j->durability == Durability::power_loss; });
  auto committed = run([&] {
    Transaction tx(*this, durable ? Durability::power_loss : Durability::process_crash);
    for (auto* j : batch) {
      step("SAVEPOINT job");
      try {
        j->run();
        step("RELEASE job");
      } catch (const Failure& e) {
        j->error = undo_job(e.message);
      } catch (const std::exception& e) {  // e.g. a payload the JSON serialiser refuses
        j->error = undo_job(e.what());
      }
    }
    tx.commit();
  });
  if (!committed)
    for (auto* j : batch) j->error = committed.error();
}

Error Connections::undo_job(const std::string& why) {
  undone();
  for (auto& [sql, statement] : statements_) statement->reset();
  exec(db_, "ROLLBACK TO job; RELEASE job");
  return make_error(ErrorKind::internal, "store " + file_.string() + ": " + why);
}

Statement& Connections::cached(const char* sql) {
  auto& s = statements_[sql];
  if (!s) s = std::make_unique<Statement>(db_, sql);
  s->reset();
  return *s;
}

void Connections::step(const char* sql) {
  auto& s = cached(sql);
  s.step();
  s.reset();
}

}  // namespace sms::store::sqlite
