// The operator's repair of messages that ended without being delivered (`outbox retry` and the
// admin API's retry): one message queued again, with why not when it cannot be.
#pragma once

#include <cstdint>

#include "store/store.h"

namespace sms::store {

// Queues message `id` again (Store::retry) and returns it, queued; a not_found error
// when the outbox has no such message, invalid_input when it is not dead, failed or expired.
Result<Message> retry_message(Store& store, std::int64_t id);

}  // namespace sms::store
