// Whether an upstream (Infinity for inbound, Twilio for outbound) is failing as a whole, and
// when to probe it: the backoff that protects a struggling upstream, kept per upstream instead
// of per message, so that its first answer releases every waiting conversation at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.h"

namespace sms::relay {

struct UpstreamState {
  bool failing = false;
  std::int64_t failing_since_ms = 0;  // unix ms; 0 when healthy
  std::int64_t next_probe_ms = 0;     // unix ms: no delivery is tried before it while failing
  std::string last_error;             // the failure that made or kept it failing ("" when healthy)
};

// Thread-safe. Failing after upstream-wide failures of two different messages in a row (one
// message failing alone, while others get through, keeps its own backoff); healthy again at
// the first answer. While failing, one delivery (the probe) is let through per probe interval,
// never before a Retry-After.
class UpstreamHealth {
 public:
  // How many messages the lane may claim now: `normal` when healthy; while failing, 1 once the
  // next probe is due (and the probe after it is then an interval away), else 0.
  std::size_t claim_limit(std::int64_t now_ms, std::size_t normal, std::chrono::milliseconds interval);
  // An upstream-wide failure of message `id` (see upstream_failing) whose request went out at
  // `sent_ms`. Returns when that message is due again if the upstream is failing (the next
  // probe), or nullopt: the message keeps its own backoff. A request sent before the answer
  // that ended the upstream's latest failing period (e.g. one still out beside the probe that
  // found the outage over) tells nothing of it now: its message is due at once and no streak
  // begins.
  std::optional<std::int64_t> failed(std::int64_t id, const Error& error, std::int64_t sent_ms, std::int64_t now_ms,
                                     std::chrono::milliseconds interval);
  // The upstream answered (accepted a message, or refused one for good). Returns how long it
  // had been failing when this answer ended a failing period, else nullopt.
  std::optional<std::chrono::milliseconds> answered(std::int64_t now_ms);
  UpstreamState state() const;
  // state().failing without the lock (what every claim asks of every tenant's upstream).
  bool failing() const { return failing_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mutex_;
  UpstreamState state_;
  std::atomic<bool> failing_{false};  // state_.failing, written under the mutex
  std::int64_t last_failed_id_ = 0;  // the message behind the failure streak while healthy
  std::int64_t recovered_ms_ = 0;    // unix ms of the answer that ended the latest failing period
  int streak_ = 0;                    // upstream-wide failures of different messages in a row
};

// Whether a transient failure is the upstream's as a whole: no answer, 5xx, 429 or refused
// credentials; a message-specific one (e.g. not found) keeps the message's own backoff.
bool upstream_failing(const Error& error);

}  // namespace sms::relay
