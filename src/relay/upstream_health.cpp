// An upstream's failing/healthy state and its probe schedule.
#include "relay/upstream_health.h"

#include <algorithm>

namespace sms::relay {

bool upstream_failing(const Error& error) { return error.retryable() || error.kind == ErrorKind::auth; }

std::size_t UpstreamHealth::claim_limit(std::int64_t now_ms, std::size_t normal, std::chrono::milliseconds interval) {
  std::lock_guard lock(mutex_);
  if (!state_.failing) return normal;
  if (now_ms < state_.next_probe_ms) return 0;
  state_.next_probe_ms = now_ms + interval.count();
  return 1;
}

std::optional<std::int64_t> UpstreamHealth::failed(std::int64_t id, const Error& error, std::int64_t sent_ms, std::int64_t now_ms,
                                                   std::chrono::milliseconds interval) {
  std::lock_guard lock(mutex_);
  if (!state_.failing && sent_ms < recovered_ms_) return now_ms;
  if (!state_.failing) {
    if (id != last_failed_id_) ++streak_;
    last_failed_id_ = id;
    if (streak_ < 2) return std::nullopt;
    state_.failing = true;
    failing_ = true;
    state_.failing_since_ms = now_ms;
  }
  auto wait = std::max(interval, error.retry_after.value_or(std::chrono::milliseconds(0)));
  state_.next_probe_ms = std::max(state_.next_probe_ms, now_ms + wait.count());
  state_.last_error = error.message;
  return state_.next_probe_ms;
}

std::optional<std::chrono::milliseconds> UpstreamHealth::answered(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  streak_ = 0;
  last_failed_id_ = 0;
  if (!state_.failing) return std::nullopt;
  recovered_ms_ = now_ms;
  auto since = state_.failing_since_ms;
  state_ = UpstreamState{};
  failing_ = false;
  return std::chrono::milliseconds(now_ms - since);
}

UpstreamState UpstreamHealth::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace sms::relay
