// The PostgreSQL store's send pacing rows (private to src/store): one row per paced business
// number, shared by every instance on the database.
#pragma once

#include <functional>
#include <string>

#include "store/pacing.h"
#include "store/postgres.h"

namespace sms::store::postgres::pacing {

// Locks `number`'s row (made first if it has none), applies `change` and writes it back, in one
// transaction: instances reserving slots of one number at once take turns.
void update(Connection& c, const std::string& number, const std::function<void(Pace&)>& change);

}  // namespace sms::store::postgres::pacing
