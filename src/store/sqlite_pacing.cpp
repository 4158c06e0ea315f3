// The SQLite store's send pacing rows: read, changed and written back in one transaction.
#include "store/sqlite_pacing.h"

namespace sms::store::sqlite::pacing {

void update(sqlite3* db, const std::string& number, const std::function<void(Pace&)>& change) {
  Pace pace;
  Statement get(db, "SELECT next_free_us, slowdown, slowed_us FROM pacing WHERE number = ?1");
  if (get.bind(1, number).step()) pace = {get.integer(0), get.integer(1), get.integer(2)};
  change(pace);
  Statement put(db, "INSERT INTO pacing(number, next_free_us, slowdown, slowed_us) VALUES(?1, ?2, ?3, ?4) "
                    "ON CONFLICT(number) DO UPDATE SET next_free_us = excluded.next_free_us, slowdown = excluded.slowdown, "
                    "slowed_us = excluded.slowed_us");
  put.bind(1, number).bind(2, pace.next_free_us).bind(3, pace.slowdown).bind(4, pace.slowed_us).step();
}

}  // namespace sms::store::sqlite::pacing
