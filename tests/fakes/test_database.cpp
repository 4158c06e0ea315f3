#include "fakes/test_database.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace fakes {
namespace {

// Runs `sql` and returns the first row's first column ("" when there is none).
std::string run_sql(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string error, value;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) error = PQerrorMessage(c);
    else if (PQntuples(r) > 0 && PQnfields(r) > 0) value = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  if (!error.empty()) throw std::runtime_error(sql + ": " + error);
  return value;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set: run the suite under scripts/with-postgres (see the README)");
  return v;
}

}  // namespace

TestDatabase::TestDatabase() : admin_url_(env("INFINITY_SMS_TEST_PG_URL")) {
  static std::atomic<int> counter{0};
  name_ = "sms_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  run_sql(admin_url_, "CREATE DATABASE " + name_);
  url_ = admin_url_.substr(0, admin_url_.rfind('/') + 1) + name_;
}

TestDatabase::~TestDatabase() {
  PGconn* c = PQconnectdb(admin_url_.c_str());
  PQclear(PQexec(c, ("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str()));
  PQfinish(c);
}

void TestDatabase::exec(const std::string& sql) const { run_sql(url_, sql); }
std::string TestDatabase::query(const std::string& sql) const { return run_sql(url_, sql); }
void TestDatabase::admin_exec(const std::string& sql) { run_sql(env("INFINITY_SMS_TEST_PG_URL"), sql); }

void TestDatabase::restart_cluster(int seconds) {
  auto command = std::string(env("INFINITY_SMS_TEST_PG_RESTART")) + " " + std::to_string(seconds);
  if (std::system(command.c_str()) != 0) throw std::runtime_error(command + " failed");
}

}  // namespace fakes
