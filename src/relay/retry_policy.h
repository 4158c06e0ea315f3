// When to try a failed delivery again: exponential backoff with full jitter, capped, and never
// sooner than the upstream's Retry-After.
#pragma once

#include <chrono>
#include <random>

#include "core/result.h"

namespace sms::relay {

struct Backoff {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{300000};
};

// Uniform in [0, min(max, initial * 2^attempts)], raised to error.retry_after when present.
std::chrono::milliseconds retry_delay(const Backoff& b, int attempts, const Error& error, std::mt19937_64& rng);

// What to do with a failed delivery: permanent and invalid-input errors end it (dead);
// everything else (timeouts, network, 5xx/429, auth and config problems that an operator can
// fix) is retried until the message's age limit.
bool is_final(const Error& error);

}  // namespace sms::relay
