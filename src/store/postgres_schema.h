// The shared outbox's schema: its tables and indexes, as ordered migrations (private to
// src/store).
#pragma once

#include "store/postgres.h"

namespace sms::store::postgres {

// Brings the database to this version's schema in one transaction, under an advisory lock so
// that instances starting together migrate one after the other (infinity_sms_migrations records
// the versions applied), and flags the head of every conversation that has none. Throws Failure
// for a database written by a newer version.
void migrate(Connection& c);

}  // namespace sms::store::postgres
