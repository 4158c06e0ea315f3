// The SQLite store's conversation heads kept in memory (private to src/store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "store/sqlite.h"
#include "store/store.h"

namespace sms::store::sqlite {

// Each direction's conversation heads (a conversation's oldest message still queued or sending),
// mirrored in memory so that a claim picks the due ones without walking the index (the walk
// visited every conversation with work, for every claim: 15 ms per claim with 10,000 of them).
// The store's own writes keep it current; it is read again from the database when another
// connection wrote (the outbox CLI: PRAGMA data_version) and after whatever the store does not
// follow (expiry, requeues, a failed write: forget()). Used under the store's writer mutex.
class ConversationHeads {
 public:
  // The writing connection's prepared statement for `sql` (kept, handed out reset).
  using Statements = std::function<Statement&(const char* sql)>;
  explicit ConversationHeads(Statements statement) : statement_(std::move(statement)) {}

  // Read everything again at the next refresh().
  void forget() { known_ = false; }
  // Reads the heads from the database unless they are known and no other connection wrote.
  void refresh();
  // A message just inserted: its conversation's head if the conversation had none.
  void added(Direction d, const std::string& conversation, std::int64_t id, std::int64_t now_ms);
  // The ids of the heads that are queued and due at `now_ms` in conversations `filter` admits,
  // oldest first, at most `limit`.
  std::vector<std::int64_t> due(Direction d, std::int64_t now_ms, std::size_t limit, const NumberFilter& filter) const;
  void claimed(Direction d, const std::string& conversation);
  // After a change to a message whose direction and conversation are columns 0 and 1 of `row`,
  // that conversation's head as the database now has it.
  void reload(const Statement& row);

 private:
  struct Head {
    std::int64_t id = 0;
    bool sending = false;
    std::int64_t due_ms = 0;
  };
  static int lane(Direction d) { return d == Direction::inbound ? 0 : 1; }
  // A conversation's head from `row`: direction, conversation, id, state, next_attempt_ms.
  void put(const Statement& row);

  Statements statement_;
  std::map<std::string, Head> heads_[2];  // by lane(direction), then conversation
  bool known_ = false;
  std::int64_t data_version_ = 0;
};

}  // namespace sms::store::sqlite
