// The PostgreSQL store's conversation locks and heads.
#include "store/postgres_conversations.h"

namespace sms::store::postgres {

void lock_conversation(Connection& c, const std::string& direction, const std::string& conversation) {
  c.exec("SELECT pg_advisory_xact_lock(1936289056, hashtext($1 || '/' || $2))", {direction, conversation});
}

void promote(Connection& c, const std::string& direction, const std::string& conversation) {
  c.exec("UPDATE messages SET head = true WHERE id = (SELECT min(id) FROM messages WHERE direction = $1 AND "
         "conversation = $2 AND state IN ('queued','sending')) AND NOT head",
         {direction, conversation});
}

Conversations conversations_of(Connection& c, const char* select, const Params& params) {
  auto r = c.exec(select, params);
  Conversations out;
  for (int i = 0; i < r.size(); ++i) out.emplace(r.text(i, 0), r.text(i, 1));
  return out;
}

Conversations lock_conversations_of(Connection& c, const char* select, const Params& params) {
  auto out = conversations_of(c, select, params);
  for (const auto& [d, conversation] : out) lock_conversation(c, d, conversation);
  return out;
}

}  // namespace sms::store::postgres
