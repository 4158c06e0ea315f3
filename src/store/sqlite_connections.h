// The SQLite store's connections to its file (private to src/store): the writer, with its
// statements prepared once, its transactions and its group commit, and a reader for scans;
// every SQLite failure becomes an Error.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/result.h"
#include "store/group_commit.h"
#include "store/sqlite.h"

namespace sms::store::sqlite {

class Connections {
 public:
  explicit Connections(std::filesystem::path file) : file_(std::move(file)) {}
  virtual ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

 protected:
  // Opens both connections and runs the schema migrations.
  Result<void> open();

  // What the store mirrors in memory may be wrong: a write was undone (see ConversationHeads).
  virtual void undone() = 0;

  // BEGIN IMMEDIATE ... COMMIT, rolled back if not committed. Prepared once, like every statement
  // of the hot paths (sqlite3_exec would parse them at each of the several per webhook).
  struct Transaction {
    explicit Transaction(Connections& c, Durability d = Durability::power_loss);
    void commit();
    ~Transaction();
    Connections& c_;
    bool relaxed_;
    bool done_ = false;
  };

  // Runs `f` on the connection that writes (db_).
  template <class F>
  auto run(F&& f) -> Result<decltype(f())> {
    std::lock_guard lock(mutex_);
    auto r = attempt(f);
    if (!r) undone();  // whatever was undone may have been mirrored already
    return r;
  }

  // The same, unless the writer is busy (a commit in progress): then nullopt at once.
  template <class F>
  auto try_run(F&& f) -> std::optional<Result<decltype(f())>> {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock) return std::nullopt;
    auto r = attempt(f);
    if (!r) undone();
    return r;
  }

  // Runs `f`, which only reads, on the reader_ connection: the operator's listings and the counts
  // behind /metrics and /api/status scan the table, and on the writing connection every commit
  // (so every webhook's answer) waited for the scan, which grows with the table: 13 ms for
  // 35,000 messages, and only `outbox purge` shrinks it. In WAL mode a read sees every commit
  // made before it starts.
  template <class F>
  auto read(F&& f) -> Result<decltype(f())> {
    std::lock_guard lock(read_mutex_);
    return attempt(f);
  }

  // A prepared statement kept for the life of the connection (hot paths), keyed by the address
  // of its text (a literal or a static string). Handed out reset, in case a failure interrupted
  // its last use; callers reset it after use so it holds no read snapshot.
  Statement& cached(const char* sql);
  // Runs a statement without parameters or rows (transaction control).
  void step(const char* sql);

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  sqlite3* reader_ = nullptr;  // see read()
  GroupCommit batches_{[this](const std::vector<GroupCommit::Job*>& batch) { commit_batch(batch); }};

 private:
  template <class F>
  auto attempt(F& f) -> Result<decltype(f())> {
    try {
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        return {};
      } else {
        return f();
      }
    } catch (const Failure& e) {
      return fail(ErrorKind::internal, "store " + file_.string() + ": " + e.message);
    }
  }

  // One batch of the group commit in one transaction, each job in its own savepoint, so one that
  // fails is undone alone.
  void commit_batch(const std::vector<GroupCommit::Job*>& batch);
  // Rolls one job of a batch back to its savepoint; the error it returns.
  Error undo_job(const std::string& why);

  std::mutex mutex_;
  std::mutex read_mutex_;
  std::map<const char*, std::unique_ptr<Statement>> statements_;  // see cached(); under mutex_
};

}  // namespace sms::store::sqlite
