// The per-minute delivery counts of the last hour: a ring whose slots are reused as the minutes
// come round again.
#include "relay/throughput.h"

namespace sms::relay {
namespace {

std::int64_t minute_of(std::int64_t ms) { return (ms >= 0 ? ms : ms - Throughput::kMinuteMs + 1) / Throughput::kMinuteMs; }

std::size_t slot_of(std::int64_t minute) {
  return static_cast<std::size_t>(((minute % Throughput::kMinutes) + Throughput::kMinutes) % Throughput::kMinutes);
}

std::size_t index_of(store::Direction d) { return d == store::Direction::inbound ? 0 : 1; }

}  // namespace

Throughput::Throughput() {
  for (auto& m : ring_) m.start_ms = -1;  // no minute starts there
}

void Throughput::record(store::Direction direction, Outcome outcome, std::int64_t now_ms) {
  auto minute = minute_of(now_ms);
  std::lock_guard lock(mutex_);
  auto& m = ring_[slot_of(minute)];
  if (m.start_ms != minute * kMinuteMs) m = Minute{minute * kMinuteMs, {0, 0}, {0, 0}};  // an hour old: reused
  ++(outcome == Outcome::sent ? m.sent : m.dead)[index_of(direction)];
}

std::vector<Throughput::Minute> Throughput::last_hour(std::int64_t now_ms) const {
  auto now = minute_of(now_ms);
  std::vector<Minute> out;
  out.reserve(kMinutes);
  std::lock_guard lock(mutex_);
  for (auto minute = now - kMinutes + 1; minute <= now; ++minute) {
    const auto& m = ring_[slot_of(minute)];
    out.push_back(m.start_ms == minute * kMinuteMs ? m : Minute{minute * kMinuteMs, {0, 0}, {0, 0}});
  }
  return out;
}

}  // namespace sms::relay
