// Deliveries per minute over the last hour, per direction (what /api/throughput shows): a ring
// of 60 per-minute counts kept in memory by this instance. Recording is on the delivery path: a
// few additions under a mutex no one holds for longer.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

#include "store/store.h"

namespace sms::relay {

class Throughput {
 public:
  static constexpr int kMinutes = 60;
  static constexpr std::int64_t kMinuteMs = 60'000;

  enum class Outcome { sent, dead };

  struct Minute {
    std::int64_t start_ms = 0;                  // the minute's first millisecond (Unix time)
    std::array<std::int64_t, 2> sent = {0, 0};  // by direction: inbound, outbound
    std::array<std::int64_t, 2> dead = {0, 0};
  };

  Throughput();

  // Counts one message of `direction` that ended `outcome` at now_ms (Unix milliseconds).
  void record(store::Direction direction, Outcome outcome, std::int64_t now_ms);
  // The 60 minutes up to now_ms's own, oldest first; a minute nothing was recorded in counts 0.
  std::vector<Minute> last_hour(std::int64_t now_ms) const;

 private:
  mutable std::mutex mutex_;
  std::array<Minute, kMinutes> ring_;  // minute m in slot m % 60; start_ms says which minute a slot holds (-1: none)
};

}  // namespace sms::relay
