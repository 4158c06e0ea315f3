// The PostgreSQL store's opt-out register (private to src/store): its statements, on a
// connection the store borrowed from its pool.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/postgres.h"
#include "store/store.h"

namespace sms::store::postgres::opt_outs {

// Registers each pair, or gives a registered one the new since, source and keyword (a later
// entry for the same pair wins), in one transaction.
void add(Connection& c, const std::vector<OptOut>& opt_outs);
// Whether the pair was registered.
bool remove(Connection& c, const std::string& business_number, const std::string& end_user_number);
bool contains(Connection& c, const std::string& business_number, const std::string& end_user_number);
// Ordered by business number, then end-user number (bytewise).
std::vector<OptOut> list(Connection& c);
std::int64_t count(Connection& c);

}  // namespace sms::store::postgres::opt_outs
