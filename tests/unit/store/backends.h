// The store backends the contract tests run against: embedded SQLite and shared PostgreSQL (the
// latter on the cluster scripts/with-postgres starts). Each is one store location; open() may be
// called again, like a second process on the same store.
#pragma once

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "fakes/process.h"
#include "fakes/test_database.h"
#include "store/store.h"

namespace contract {

using namespace sms;
using namespace sms::store;

inline constexpr auto kLease = std::chrono::seconds(60);

struct SqliteBackend {
  static constexpr bool shared = false;
  fakes::TempDir dir;
  std::string file() const { return dir.file("state/outbox.db"); }
  Result<std::unique_ptr<Store>> try_open() { return open_sqlite(file()); }
  void make_schema_newer() {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::unique_ptr<Store> open() {
    auto s = try_open();
    if (!s) FAIL(s.error().message);
    return std::move(*s);
  }
};

struct PostgresBackend {
  static constexpr bool shared = true;
  fakes::TestDatabase db;
  Result<std::unique_ptr<Store>> try_open() { return open_postgres(db.url(), 4, kLease); }
  void make_schema_newer() { db.exec("INSERT INTO infinity_sms_migrations VALUES (99, 0)"); }
  std::unique_ptr<Store> open() {
    auto s = try_open();
    if (!s) FAIL(s.error().message);
    return std::move(*s);
  }
};

}  // namespace contract

#define CONTRACT_TEST(name) TEMPLATE_TEST_CASE(name, "[store]", contract::SqliteBackend, contract::PostgresBackend)
