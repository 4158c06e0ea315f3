// The SQLite store's opt-out register: upserts, removal and lookups of the opt_outs table.
#include "store/sqlite_opt_outs.h"

namespace sms::store::sqlite::opt_outs {

void add(sqlite3* db, const std::vector<OptOut>& opt_outs) {
  Statement s(db, "INSERT INTO opt_outs(business_number, end_user_number, since_ms, source, keyword) VALUES(?1, ?2, ?3, ?4, ?5) "
                  "ON CONFLICT(business_number, end_user_number) DO UPDATE SET since_ms = excluded.since_ms, "
                  "source = excluded.source, keyword = excluded.keyword");
  for (const auto& o : opt_outs) {
    s.bind(1, o.business_number).bind(2, o.end_user_number).bind(3, o.since_ms).bind(4, o.source).bind(5, o.keyword).step();
    s.reset();
  }
}

bool remove(sqlite3* db, const std::string& business_number, const std::string& end_user_number) {
  Statement s(db, "DELETE FROM opt_outs WHERE business_number = ?1 AND end_user_number = ?2");
  s.bind(1, business_number).bind(2, end_user_number).step();
  return sqlite3_changes(db) > 0;
}

bool contains(sqlite3* db, const std::string& business_number, const std::string& end_user_number) {
  Statement s(db, "SELECT 1 FROM opt_outs WHERE business_number = ?1 AND end_user_number = ?2");
  return s.bind(1, business_number).bind(2, end_user_number).step();
}

std::vector<OptOut> list(sqlite3* db) {
  Statement s(db, "SELECT business_number, end_user_number, since_ms, source, keyword FROM opt_outs "
                  "ORDER BY business_number, end_user_number");
  std::vector<OptOut> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.integer(2), s.text(3), s.text(4)});
  return out;
}

std::int64_t count(sqlite3* db) {
  Statement s(db, "SELECT COUNT(*) FROM opt_outs");
  s.step();
  return s.integer(0);
}

}  // namespace sms::store::sqlite::opt_outs
