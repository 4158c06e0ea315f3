// A fresh PostgreSQL database for one test, on the throw-away cluster that scripts/with-postgres
// starts (INFINITY_SMS_TEST_PG_URL); dropped on destruction.
#pragma once

#include <string>

namespace fakes {

class TestDatabase {
 public:
  TestDatabase();  // throws (saying how to run it) when no cluster is set up
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }  // postgresql://...@127.0.0.1:PORT/<fresh db>
  void exec(const std::string& sql) const;          // on this database; throws on error
  std::string query(const std::string& sql) const;  // the same, giving the first row's first column
  static void admin_exec(const std::string& sql);   // on the cluster's "postgres" database
  // Crashes the cluster (every test database on it), waits `seconds`, starts it again.
  static void restart_cluster(int seconds);

 private:
  std::string admin_url_, name_, url_;
};

}  // namespace fakes
