// A thin layer over libpq for the store (private to src/store): results, connections and a
// pool that replaces connections the server dropped (a restart, a failover).
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace sms::store::postgres {

// Thrown inside the store only; every public method converts it to an Error.
struct Failure {
  std::string message;
  bool unreachable = false;  // no connection, or it broke: the database is down or restarting
};

class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  std::int64_t affected() const;
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  std::int64_t integer(int row, int col) const;
  PGresult* raw() const { return r_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

// Parameters are passed as text; PostgreSQL casts them to the columns' types.
using Params = std::vector<std::string>;

class Connection {
 public:
  explicit Connection(const std::string& url);  // throws Failure
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A statement with parameters is prepared on its first use on this connection and kept (the
  // store's statements are few, and each ran parse, analysis and planning at every call).
  Rows exec(const char* sql, const Params& params = {});
  // Whether it can be handed out again: connected, outside a transaction, and the server has
  // not closed it while it sat idle.
  bool reusable();

 private:
  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL → statement name
};

class Pool;

// A connection borrowed from the pool, returned (or dropped, if broken) when it goes.
class Lease {
 public:
  Lease(Pool& pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Connection* operator->() { return c_.get(); }
  Connection& operator*() { return *c_; }

 private:
  Pool& pool_;
  std::unique_ptr<Connection> c_;
};

class Pool {
 public:
  Pool(std::string url, int size) : url_(std::move(url)), size_(size) {}
  // An idle connection, a new one while fewer than `size` exist, else waits for one.
  Lease acquire();

 private:
  friend class Lease;
  void give_back(std::unique_ptr<Connection> c);

  const std::string url_;
  const int size_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // connections idle or leased
};

// BEGIN ... COMMIT, rolled back if not committed.
class Transaction {
 public:
  explicit Transaction(Connection& c) : c_(c) { c_.exec("BEGIN"); }
  ~Transaction();
  void commit() {
    c_.exec("COMMIT");
    done_ = true;
  }

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace sms::store::postgres
