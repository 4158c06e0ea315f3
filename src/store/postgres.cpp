// The libpq layer: result rows, connections, the connection pool and transactions.
#include "store/postgres.h"

#include <poll.h>

#include <charconv>

namespace sms::store::postgres {
namespace {

std::int64_t to_int(const char* s) {
  std::int64_t v = 0;
  std::from_chars(s, s + std::char_traits<char>::length(s), v);
  return v;
}

// libpq's messages end with a newline and may span lines (with a tab before a hint); one line
// for the log.
std::string one_line(std::string_view in) {
  std::string s;
  for (char c : in) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c != ' ' || (!s.empty() && s.back() != ' ')) s += c;
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Throws unless `rows` is a success.
void check(PGconn* conn, const Rows& rows) {
  auto status = PQresultStatus(rows.raw());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  // SQLSTATE class 08: connection exception; 57P0x: the server is shutting down or starting.
  const char* code = rows.raw() ? PQresultErrorField(rows.raw(), PG_DIAG_SQLSTATE) : nullptr;
  std::string_view state = code ? code : "";
  bool unreachable = PQstatus(conn) != CONNECTION_OK || state.starts_with("08") || state.starts_with("57P");
  throw Failure{one_line(PQerrorMessage(conn)), unreachable};
}

}  // namespace

std::int64_t Rows::affected() const { return to_int(PQcmdTuples(r_.get())); }
std::int64_t Rows::integer(int row, int col) const { return to_int(PQgetvalue(r_.get(), row, col)); }

Connection::Connection(const std::string& url) {
  // Defaults first: the URL's own parameters (expanded from dbname) override them. A connection
  // attempt or an unacknowledged write gives up after 10 s instead of hanging on a dead host.
  const char* keys[] = {"connect_timeout", "tcp_user_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "10000", "infinity-sms", url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    auto why = one_line(PQerrorMessage(conn_));  // names host and port, never the password
    PQfinish(conn_);
    throw Failure{"cannot connect to PostgreSQL: " + why, true};
  }
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "relation exists, skipping" etc.
}

Rows Connection::exec(const char* sql, const Params& params) {
  // Without parameters, PQexec: it also runs several statements (a migration) in one go.
  if (params.empty()) {
    Rows rows(PQexec(conn_, sql));
    check(conn_, rows);
    return rows;
  }
  auto [it, added] = prepared_.try_emplace(sql, "s" + std::to_string(prepared_.size()));
  if (added) {
    Rows prepared(PQprepare(conn_, it->second.c_str(), sql, static_cast<int>(params.size()), nullptr));
    try {
      check(conn_, prepared);
    } catch (const Failure&) {
      prepared_.erase(it);
      throw;
    }
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  Rows rows(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0));
  check(conn_, rows);
  return rows;
}

bool Connection::reusable() {
  if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
  // An idle connection has nothing to read; if it has, the server closed it (or sent a fatal
  // notice before doing so).
  pollfd p{PQsocket(conn_), POLLIN, 0};
  if (::poll(&p, 1, 0) == 0) return true;
  PQconsumeInput(conn_);
  return false;
}

Lease::~Lease() {
  if (c_ && c_->reusable()) pool_.give_back(std::move(c_));
  else pool_.give_back(nullptr);
}

Lease Pool::acquire() {
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->reusable()) return Lease(*this, std::move(c));
      --open_;  // dropped by the server while idle: replace it
    }
    if (open_ < size_) break;
    freed_.wait(lock);
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(*this, std::make_unique<Connection>(url_));
  } catch (...) {
    give_back(nullptr);
    throw;
  }
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mutex_);
    if (c) idle_.push_back(std::move(c));
    else --open_;
  }
  freed_.notify_one();
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (const Failure&) {  // the connection is gone: the server rolls back
  }
}

}  // namespace sms::store::postgres
