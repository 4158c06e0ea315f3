// The PostgreSQL store's opt-out register: upserts in bulk, removal and lookups of opt_outs.
#include "store/postgres_opt_outs.h"

#include <algorithm>
#include <span>

namespace sms::store::postgres::opt_outs {
namespace {

// Rows per INSERT: an import of a whole register is a few statements, each of bounded size.
constexpr std::size_t kChunk = 1000;

// `values` as an array literal of `field` ({"a","b"}: each element quoted, so that commas,
// braces and spaces stay text).
template <class Field>
std::string array(std::span<const OptOut> values, Field field) {
  std::string out = "{";
  for (const auto& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : field(v)) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

void add(Connection& c, const std::vector<OptOut>& opt_outs) {
  Transaction tx(c);
  std::span<const OptOut> all(opt_outs);
  for (std::size_t at = 0; at < all.size(); at += kChunk) {
    auto chunk = all.subspan(at, std::min(kChunk, all.size() - at));
    // One statement per chunk, from arrays (not a round trip per row). DISTINCT ON keeps a pair's
    // last entry: ON CONFLICT DO UPDATE refuses to update one row twice in a statement.
    c.exec("INSERT INTO opt_outs(business_number, end_user_number, since_ms, source, keyword)"
           " SELECT DISTINCT ON (b, e) b, e, s, src, k FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[])"
           " WITH ORDINALITY AS u(b, e, s, src, k, n) ORDER BY b, e, n DESC"
           " ON CONFLICT (business_number, end_user_number) DO UPDATE SET since_ms = excluded.since_ms,"
           " source = excluded.source, keyword = excluded.keyword",
           {array(chunk, [](const OptOut& o) -> const std::string& { return o.business_number; }),
            array(chunk, [](const OptOut& o) -> const std::string& { return o.end_user_number; }),
            array(chunk, [](const OptOut& o) { return std::to_string(o.since_ms); }),
            array(chunk, [](const OptOut& o) -> const std::string& { return o.source; }),
            array(chunk, [](const OptOut& o) -> const std::string& { return o.keyword; })});
  }
  tx.commit();
}

bool remove(Connection& c, const std::string& business_number, const std::string& end_user_number) {
  auto r = c.exec("DELETE FROM opt_outs WHERE business_number = $1 AND end_user_number = $2", {business_number, end_user_number});
  return r.affected() > 0;
}

bool contains(Connection& c, const std::string& business_number, const std::string& end_user_number) {
  auto r = c.exec("SELECT 1 FROM opt_outs WHERE business_number = $1 AND end_user_number = $2", {business_number, end_user_number});
  return r.size() > 0;
}

std::vector<OptOut> list(Connection& c) {
  auto r = c.exec("SELECT business_number, end_user_number, since_ms, source, keyword FROM opt_outs "
                  "ORDER BY business_number, end_user_number");
  std::vector<OptOut> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.integer(i, 2), r.text(i, 3), r.text(i, 4)});
  return out;
}

std::int64_t count(Connection& c) { return c.exec("SELECT count(*) FROM opt_outs").integer(0, 0); }

}  // namespace sms::store::postgres::opt_outs
