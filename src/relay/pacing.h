// Send pacing of agents' replies: the rate each business number may send at (relay.pacing, or a
// tenant's pacing.*), and what one message costs of it. The store keeps each number's next slot
// (store/pacing.h), so that instances sharing a store share the rate.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "store/store.h"

namespace sms::relay {

// How far ahead a worker reserves a number's slot and keeps the message for it; a slot further
// away sends the message back to the queue, and its number is not claimed again until then.
inline constexpr std::int64_t kPaceWindowUs = 1'000'000;

// Sends per second of `business_number` with `tenant`'s configuration: its own rate in
// relay.pacing.numbers, else its kind's (long code, toll-free, short code); 0 when it is not
// paced (a rate of 0, or Twilio mock mode).
double send_rate(const config::Config& tenant, std::string_view business_number);

// The microseconds of its number's rate that an outbound message takes (its segments, or 1 with
// relay.pacing.unit messages, over the rate); 0 when its number is not paced.
std::int64_t send_cost_us(const config::Config& tenant, const store::Message& m);

// Whether Twilio refused a send for its rate: HTTP 429 or code 20429.
bool rate_limited(const Error& e);

// One lane's paced messages that wait without a worker: those holding a reserved slot, until it
// comes, and the numbers whose next slot is beyond the window, which the lane does not claim
// until then. Not thread-safe: used under the lane's mutex.
class PacedQueue {
 public:
  // Keeps `m`, whose slot at at_us is reserved, until then.
  void hold(store::Message m, std::int64_t at_us);
  // The held message whose slot has come at now_us, if any (the earliest).
  std::optional<store::Message> due(std::int64_t now_us);
  // When the earliest held message's slot comes.
  std::optional<std::int64_t> next_us() const;
  // `number` is not to be claimed before until_us.
  void skip(std::string number, std::int64_t until_us);
  // Narrows `filter` to leave out the numbers skipped at now_us (and forgets those whose time
  // has come).
  void exclude_skipped(store::NumberFilter& filter, std::int64_t now_us);
  // Every held message's id, emptied (serve stops: they go back to the queue).
  std::vector<std::int64_t> take_all();

 private:
  std::multimap<std::int64_t, store::Message> held_;  // by slot
  std::map<std::string, std::int64_t, std::less<>> skipped_;  // number → until
};

}  // namespace sms::relay
