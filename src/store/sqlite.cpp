// The SQLite layer: prepared statements, exec, and opening a database in WAL mode.
#include "store/sqlite.h"

#include <sys/stat.h>

#include <mutex>

namespace sms::store::sqlite {

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    throw Failure{sqlite3_errmsg(db)};
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Failure{sqlite3_errmsg(db_)};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::text(int col) const {
  auto p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : "";
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Failure{msg};
  }
}

sqlite3* open(const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto dir = file.parent_path();
  if (!dir.empty() && !fs::exists(dir)) {
    fs::create_directories(dir, ec);
    if (ec) throw Failure{"cannot create " + dir.string() + ": " + ec.message()};
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  // SQLite's allocation statistics take a process-wide mutex at every allocation (~100 per
  // webhook); nothing reads them. Only settable before SQLite initialises (the first open).
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  auto old_mask = ::umask(077);  // the database and its WAL files are created 0600
  // NOMUTEX: each connection's owner serialises its use (SqliteStore and the spool hold a
  // mutex around every call), so SQLite's own per-call connection mutex is not needed.
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  ::umask(old_mask);
  try {
    if (rc != SQLITE_OK) throw Failure{db ? sqlite3_errmsg(db) : "cannot open"};
    sqlite3_busy_timeout(db, 10000);
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  return db;
}

}  // namespace sms::store::sqlite
