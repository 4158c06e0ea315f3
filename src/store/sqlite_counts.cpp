// The SQLite outbox's message counts, kept from the writer's changes (see sqlite_counts.h).
#define SQLITE_ENABLE_PREUPDATE_HOOK  // Debian's libsqlite3 is built with it; sqlite3.h declares it only so
#include "store/sqlite_counts.h"

#include <cstring>

#include "store/sqlite.h"

namespace sms::store::sqlite {
namespace {

// Columns of `messages` (sqlite_schema.cpp's first migration).
constexpr int kStateColumn = 2;
constexpr int kConversationColumn = 3;

}  // namespace

void MessageCounts::watch(sqlite3* writer) {
  sqlite3_preupdate_hook(writer, &MessageCounts::changed, this);
  sqlite3_commit_hook(writer, &MessageCounts::committing, this);
  sqlite3_rollback_hook(writer, &MessageCounts::rolled_back, this);
}

void MessageCounts::changed(void* self, sqlite3* db, int op, const char*, const char* table, sqlite3_int64, sqlite3_int64) {
  if (std::strcmp(table, "messages") != 0) return;
  auto* counts = static_cast<MessageCounts*>(self);
  if (op != SQLITE_INSERT) counts->add(db, 0, -1);
  if (op != SQLITE_DELETE) counts->add(db, 1, +1);
}

void MessageCounts::add(sqlite3* db, int which, std::int64_t delta) {
  sqlite3_value* state = nullptr;
  sqlite3_value* conversation = nullptr;
  auto column = which == 0 ? sqlite3_preupdate_old : sqlite3_preupdate_new;
  const char* s = nullptr;
  const char* c = nullptr;
  if (column(db, kStateColumn, &state) == SQLITE_OK && column(db, kConversationColumn, &conversation) == SQLITE_OK) {
    s = reinterpret_cast<const char*>(sqlite3_value_text(state));
    c = reinterpret_cast<const char*>(sqlite3_value_text(conversation));
  }
  auto parsed = s ? parse_state(s) : std::nullopt;
  if (!parsed || !c) {  // not a row the store writes: count the table again
    forget();
    return;
  }
  pending_[{std::string(business_number(c)), *parsed}] += delta;
}

int MessageCounts::committing(void* self) {
  auto* counts = static_cast<MessageCounts*>(self);
  std::lock_guard lock(counts->mutex_);
  for (const auto& [key, delta] : counts->pending_)
    if (delta != 0 && (counts->counts_[key] += delta) == 0) counts->counts_.erase(key);
  counts->pending_.clear();
  return 0;  // go on committing
}

void MessageCounts::rolled_back(void* self) {
  // Undone whole: the counts stay as of the last commit. (A failed statement or an undone
  // savepoint, whose changes were seen but not all undone as seen, goes through forget().)
  static_cast<MessageCounts*>(self)->pending_.clear();
}

void MessageCounts::forget() {
  std::lock_guard lock(mutex_);
  known_ = false;
}

MessageCounts::Counts MessageCounts::checked(sqlite3* writer) {
  Statement version(writer, "PRAGMA data_version");
  version.step();
  auto now = version.integer(0);
  std::lock_guard lock(mutex_);
  if (!known_ || now != data_version_) {
    counts_.clear();
    Statement count(writer, "SELECT substr(conversation, instr(conversation, '|') + 1), state, COUNT(*) FROM messages GROUP BY 1, 2");
    while (count.step())
      if (auto s = parse_state(count.text(1))) counts_[{count.text(0), *s}] = count.integer(2);
    known_ = true;
    data_version_ = now;
  }
  return counts_;
}

std::optional<MessageCounts::Counts> MessageCounts::last() const {
  std::lock_guard lock(mutex_);
  if (!known_) return std::nullopt;
  return counts_;
}

}  // namespace sms::store::sqlite
