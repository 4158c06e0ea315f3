// The PostgreSQL store's conversation locks and heads (private to src/store).
//
// Each head carries head = true, so that a claim reads the due heads from an index instead of
// walking every conversation (100 ms per claim with 10,000 conversations holding work). Every
// transaction that changes which message heads a conversation holds that conversation's lock
// (lock_conversation) from before its first read of the conversation until it commits, and sets
// the flags as they must be once it commits: a message that finishes loses its flag and passes it
// to the next (promote); a new message takes it if its conversation has nothing unfinished. So a
// conversation never ends up without a head, or with two, whatever the instances do at once.
// Claims, retries and releases keep a message unfinished, so they change no head.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "store/postgres.h"

namespace sms::store::postgres {

// Takes a conversation's lock, held until the transaction ends (see the top of this file).
// Transactions that take several take them in LockOrder, so that none waits for another in a
// cycle.
void lock_conversation(Connection& c, const std::string& direction, const std::string& conversation);

// By conversation, bytewise, and within one conversation outbound before inbound: an outbound
// message's outcome holds its conversation's outbound lock when it stores the notice of a failure
// in the same conversation's inbound direction, and a retry of every dead message, locking both
// directions of many conversations, must take them in that order too.
struct LockOrder {
  using Key = std::pair<std::string, std::string>;  // direction, conversation
  bool operator()(const Key& a, const Key& b) const { return std::tie(a.second, b.first) < std::tie(b.second, a.first); }
};

// With its conversation locked, after its head finished: the oldest unfinished message left, if
// any, becomes the head.
void promote(Connection& c, const std::string& direction, const std::string& conversation);

// The conversations of the messages `select` returns (direction, conversation: any other
// columns are ignored), in lock order.
using Conversations = std::set<LockOrder::Key, LockOrder>;
Conversations conversations_of(Connection& c, const char* select, const Params& params);

// The same, each locked.
Conversations lock_conversations_of(Connection& c, const char* select, const Params& params);

// Runs `change(direction, conversation)` with the conversation locked, for each conversation of
// the messages `select` returns, in transactions of up to 50 conversations: a change that reaches
// thousands of them (an expiry after a long outage) then holds no conversation's lock for long,
// and webhooks for that conversation wait for it. Returns the sum of what `change` returns.
template <class Change>
int in_locked_batches(Connection& c, const char* select, const Params& params, Change change) {
  auto all = conversations_of(c, select, params);
  int total = 0;
  for (auto it = all.begin(); it != all.end();) {
    Transaction tx(c);
    for (int n = 0; n < 50 && it != all.end(); ++n, ++it) {
      lock_conversation(c, it->first, it->second);
      total += change(it->first, it->second);
    }
    tx.commit();
  }
  return total;
}

}  // namespace sms::store::postgres
