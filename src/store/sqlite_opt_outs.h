// The SQLite store's opt-out register (private to src/store): its statements, run on whichever
// connection the store hands them (writes inside the store's transactions, reads on its reader).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/sqlite.h"
#include "store/store.h"

namespace sms::store::sqlite::opt_outs {

// Registers each pair, or gives a registered one the new since, source and keyword (a later
// entry for the same pair wins); the caller's transaction makes it all or none.
void add(sqlite3* db, const std::vector<OptOut>& opt_outs);
// Whether the pair was registered.
bool remove(sqlite3* db, const std::string& business_number, const std::string& end_user_number);
bool contains(sqlite3* db, const std::string& business_number, const std::string& end_user_number);
// Ordered by business number, then end-user number.
std::vector<OptOut> list(sqlite3* db);
std::int64_t count(sqlite3* db);

}  // namespace sms::store::sqlite::opt_outs
