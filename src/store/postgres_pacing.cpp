// The PostgreSQL store's send pacing rows: locked, changed and written back in one transaction.
#include "store/postgres_pacing.h"

namespace sms::store::postgres::pacing {

void update(Connection& c, const std::string& number, const std::function<void(Pace&)>& change) {
  Transaction tx(c);
  c.exec("INSERT INTO pacing(number) VALUES($1) ON CONFLICT(number) DO NOTHING", {number});
  auto row = c.exec("SELECT next_free_us, slowdown, slowed_us FROM pacing WHERE number = $1 FOR UPDATE", {number});
  Pace pace{row.integer(0, 0), row.integer(0, 1), row.integer(0, 2)};
  change(pace);
  c.exec("UPDATE pacing SET next_free_us = $2, slowdown = $3, slowed_us = $4 WHERE number = $1",
         {number, std::to_string(pace.next_free_us), std::to_string(pace.slowdown), std::to_string(pace.slowed_us)});
  tx.commit();
}

}  // namespace sms::store::postgres::pacing
