// A thin RAII layer over SQLite's C API for the store (private to src/store).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sms::store::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view v);
  // SQLITE_ROW → true, SQLITE_DONE → false, anything else throws (caught by the store).
  bool step();
  void reset();
  std::int64_t integer(int col) const;
  std::string text(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Thrown inside the store only; every public method converts it to an Error.
struct Failure {
  std::string message;
};

void exec(sqlite3* db, const char* sql);

// Opens (creating) a database file shared by processes, in WAL mode with synchronous=FULL (a
// commit survives power loss): the file 0600, a missing directory 0700. The connection must be
// used by one thread at a time.
// On failure closes what it opened and throws.
sqlite3* open(const std::filesystem::path& file);

}  // namespace sms::store::sqlite
