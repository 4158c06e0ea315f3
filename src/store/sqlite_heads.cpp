// The SQLite store's in-memory conversation heads: reloading, updating and picking due ones.
#include "store/sqlite_heads.h"

#include <algorithm>

namespace sms::store::sqlite {

void ConversationHeads::refresh() {
  auto& v = statement_("PRAGMA data_version");
  v.step();
  auto version = v.integer(0);
  v.reset();
  if (known_ && version == data_version_) return;
  // The conversations are walked one index seek at a time (a skip scan over messages_active),
  // so the cost grows with the number of conversations, not of messages.
  auto& q = statement_("WITH RECURSIVE convs(c) AS ("
                       " SELECT (SELECT conversation FROM messages WHERE direction = ?1 AND"
                       "   state IN ('queued','sending') ORDER BY conversation LIMIT 1)"
                       " UNION ALL"
                       " SELECT (SELECT conversation FROM messages WHERE direction = ?1 AND"
                       "   state IN ('queued','sending') AND conversation > convs.c ORDER BY conversation LIMIT 1)"
                       " FROM convs WHERE convs.c IS NOT NULL)"
                       " SELECT direction, conversation, id, state, next_attempt_ms FROM messages WHERE id IN"
                       " (SELECT (SELECT id FROM messages WHERE direction = ?1 AND state IN ('queued','sending') AND"
                       "   conversation = convs.c ORDER BY id LIMIT 1) FROM convs WHERE convs.c IS NOT NULL)");
  for (auto d : {Direction::inbound, Direction::outbound}) {
    heads_[lane(d)].clear();
    q.bind(1, to_string(d));
    while (q.step()) put(q);
    q.reset();
  }
  data_version_ = version;
  known_ = true;
}

void ConversationHeads::added(Direction d, const std::string& conversation, std::int64_t id, std::int64_t now_ms) {
  if (known_) heads_[lane(d)].try_emplace(conversation, Head{id, false, now_ms});
}

std::vector<std::int64_t> ConversationHeads::due(Direction d, std::int64_t now_ms, std::size_t limit,
                                                 const NumberFilter& filter) const {
  std::vector<std::int64_t> out;
  for (const auto& [conversation, head] : heads_[lane(d)])
    if (!head.sending && head.due_ms <= now_ms && filter.admits(conversation)) out.push_back(head.id);
  std::sort(out.begin(), out.end());
  out.resize(std::min(out.size(), limit));
  return out;
}

void ConversationHeads::claimed(Direction d, const std::string& conversation) { heads_[lane(d)][conversation].sending = true; }

void ConversationHeads::reload(const Statement& row) {
  if (!known_) return;
  auto d = parse_direction(row.text(0)).value_or(Direction::inbound);
  auto conversation = row.text(1);
  auto& q = statement_("SELECT direction, conversation, id, state, next_attempt_ms FROM messages WHERE direction = ?1 AND"
                       " state IN ('queued','sending') AND conversation = ?2 ORDER BY id LIMIT 1");
  q.bind(1, to_string(d)).bind(2, conversation);
  if (q.step()) put(q);
  else heads_[lane(d)].erase(conversation);
  q.reset();
}

void ConversationHeads::put(const Statement& row) {
  auto d = parse_direction(row.text(0)).value_or(Direction::inbound);
  heads_[lane(d)][row.text(1)] = {row.integer(2), row.text(3) == "sending", row.integer(4)};
}

}  // namespace sms::store::sqlite
