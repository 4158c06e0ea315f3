// The retry policy: backoff delays with full jitter, and which errors end a delivery.
#include "relay/retry_policy.h"

#include <algorithm>

namespace sms::relay {

std::chrono::milliseconds retry_delay(const Backoff& b, int attempts, const Error& error, std::mt19937_64& rng) {
  auto ceiling = b.initial.count();
  for (int i = 0; i < attempts && ceiling < b.max.count(); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, b.max.count());
  std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(ceiling, 0));
  auto delay = std::chrono::milliseconds(jitter(rng));
  if (error.retry_after) delay = std::max(delay, *error.retry_after);
  return delay;
}

bool is_final(const Error& error) {
  return error.kind == ErrorKind::permanent || error.kind == ErrorKind::invalid_input;
}

}  // namespace sms::relay
