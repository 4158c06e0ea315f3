// A business number's send pacing as the store keeps it, shared by every instance on one store:
// when the number may send next, and how much Twilio's 429s have slowed it. The arithmetic
// lives here, once; each backend reads a number's row, applies it and writes it back atomically.
#pragma once

#include <cstdint>

namespace sms::store {

// One number's row. Times are unix microseconds (rates up to thousands a second).
struct Pace {
  std::int64_t next_free_us = 0;  // no send of the number starts before this
  std::int64_t slowdown = 1;      // sends cost this many times their price: 1, or up to 16 after 429s
  std::int64_t slowed_us = 0;     // when slowdown last changed
};

// A reservation: granted, the send may start at at_us (now, or within the window asked for);
// not granted, the number's next free slot is at at_us, beyond the window.
struct Slot {
  bool granted = false;
  std::int64_t at_us = 0;
};

// How long a slowdown lasts before it halves again, and its ceiling.
inline constexpr std::int64_t kSlowdownHalfLifeUs = 30'000'000;
inline constexpr std::int64_t kMaxSlowdown = 16;

// The slowdown in effect at now_us: halved for every half-life since it last changed, at least 1.
std::int64_t slowdown_at(const Pace& pace, std::int64_t now_us);

// Reserves the number's next slot for a send that costs cost_us at full rate (segments / rate):
// the slot is max(next_free, now). If it falls within window_us of now it is granted and the
// number is busy until slot + cost_us × slowdown; otherwise nothing changes.
Slot reserve(Pace& pace, std::int64_t now_us, std::int64_t cost_us, std::int64_t window_us);

// Twilio answered 429 / 20429 for the number: its slowdown doubles (at most kMaxSlowdown) and it
// sends nothing before until_us.
void slow_down(Pace& pace, std::int64_t now_us, std::int64_t until_us);

}  // namespace sms::store
