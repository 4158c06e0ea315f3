// The embedded outbox's schema: its tables and indexes, as ordered migrations (private to
// src/store).
#pragma once

#include "store/sqlite.h"

namespace sms::store::sqlite {

// Brings the database to this version's schema, one migration per write transaction (PRAGMA
// user_version counts those applied). Throws Failure for a database written by a newer version.
void migrate(sqlite3* db);

}  // namespace sms::store::sqlite
