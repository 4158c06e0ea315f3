// The pacing arithmetic both store backends apply to a number's row.
#include "store/pacing.h"

#include <algorithm>

namespace sms::store {

namespace {

std::int64_t halvings(const Pace& pace, std::int64_t now_us) {
  return std::max<std::int64_t>(0, now_us - pace.slowed_us) / kSlowdownHalfLifeUs;
}

// Brings the row's slowdown up to date, keeping the time towards its next halving.
void decay(Pace& pace, std::int64_t now_us) {
  if (pace.slowdown <= 1) return;
  auto n = halvings(pace, now_us);
  pace.slowdown = slowdown_at(pace, now_us);
  pace.slowed_us += n * kSlowdownHalfLifeUs;
}

}  // namespace

std::int64_t slowdown_at(const Pace& pace, std::int64_t now_us) {
  auto n = halvings(pace, now_us);
  return n >= 5 ? 1 : std::max<std::int64_t>(1, pace.slowdown >> n);
}

Slot reserve(Pace& pace, std::int64_t now_us, std::int64_t cost_us, std::int64_t window_us) {
  decay(pace, now_us);
  auto slot = std::max(pace.next_free_us, now_us);
  if (slot > now_us + window_us) return {false, slot};
  pace.next_free_us = slot + cost_us * pace.slowdown;
  return {true, slot};
}

void slow_down(Pace& pace, std::int64_t now_us, std::int64_t until_us) {
  decay(pace, now_us);
  pace.slowdown = std::min(kMaxSlowdown, pace.slowdown * 2);
  pace.slowed_us = now_us;
  pace.next_free_us = std::max(pace.next_free_us, until_us);
}

}  // namespace sms::store
