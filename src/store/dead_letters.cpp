// Queuing one dead, failed or expired message again, telling an unknown id from one that did
// not end in failure.
#include "store/dead_letters.h"

#include <string>

namespace sms::store {

Result<Message> retry_message(Store& store, std::int64_t id) {
  auto n = store.retry(id);
  if (!n) return std::unexpected(n.error());
  auto m = store.get(id);  // after the retry, so that a refusal names the state it met
  if (!m) return std::unexpected(m.error());
  if (!*m) return fail(ErrorKind::not_found, "no message " + std::to_string(id) + " in the outbox");
  if (*n == 0)
    return fail(ErrorKind::invalid_input, "message " + std::to_string(id) + " is " + to_string((*m)->state) +
                                              ", not dead, failed or expired: only those can be retried");
  return **m;
}

}  // namespace sms::store
