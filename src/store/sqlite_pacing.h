// The SQLite store's send pacing rows (private to src/store): one row per paced business number.
#pragma once

#include <functional>
#include <string>

#include "store/pacing.h"
#include "store/sqlite.h"

namespace sms::store::sqlite::pacing {

// Reads `number`'s row (a fresh Pace when it has none), applies `change` and writes it back, in
// the caller's write transaction.
void update(sqlite3* db, const std::string& number, const std::function<void(Pace&)>& change);

}  // namespace sms::store::sqlite::pacing
