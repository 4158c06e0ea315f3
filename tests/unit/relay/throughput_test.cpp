// The per-minute delivery counts of the last hour, with the time passed in.
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "relay/throughput.h"

using namespace sms;
using relay::Throughput;
using store::Direction;

namespace {
constexpr std::int64_t kMinute = Throughput::kMinuteMs;
constexpr std::int64_t kStart = 29'000'000 * kMinute;  // some minute in 2025
}  // namespace

TEST_CASE("each minute of the last hour counts its deliveries per direction, oldest first") {
  Throughput t;
  t.record(Direction::inbound, Throughput::Outcome::sent, kStart + 5);
  t.record(Direction::inbound, Throughput::Outcome::sent, kStart + kMinute - 1);
  t.record(Direction::outbound, Throughput::Outcome::sent, kStart + 2 * kMinute);
  t.record(Direction::outbound, Throughput::Outcome::dead, kStart + 2 * kMinute + 7);
  auto hour = t.last_hour(kStart + 2 * kMinute + 30'000);
  REQUIRE(hour.size() == 60);
  CHECK(hour.back().start_ms == kStart + 2 * kMinute);  // the current minute last
  CHECK(hour.front().start_ms == kStart - 57 * kMinute);
  for (std::size_t i = 1; i < hour.size(); ++i) CHECK(hour[i].start_ms == hour[i - 1].start_ms + kMinute);
  CHECK(hour[57].sent == std::array<std::int64_t, 2>{2, 0});
  CHECK(hour[58].sent == std::array<std::int64_t, 2>{0, 0});
  CHECK(hour[59].sent == std::array<std::int64_t, 2>{0, 1});
  CHECK(hour[59].dead == std::array<std::int64_t, 2>{0, 1});
  for (std::size_t i = 0; i < 57; ++i) CHECK((hour[i].sent[0] + hour[i].sent[1] + hour[i].dead[1]) == 0);
}

TEST_CASE("a minute an hour old leaves the window, and its slot counts afresh when the ring comes round") {
  Throughput t;
  t.record(Direction::inbound, Throughput::Outcome::sent, kStart);
  CHECK(t.last_hour(kStart + 59 * kMinute).front().sent[0] == 1);  // still within the hour
  auto later = t.last_hour(kStart + 60 * kMinute);
  CHECK(later.front().start_ms == kStart + kMinute);
  for (const auto& m : later) CHECK(m.sent[0] == 0);
  t.record(Direction::inbound, Throughput::Outcome::sent, kStart + 60 * kMinute);  // the same slot, an hour on
  auto hour = t.last_hour(kStart + 60 * kMinute);
  CHECK(hour.back().sent[0] == 1);  // not 2: the old minute's count is gone
  // Nothing recorded for hours: an empty hour, whatever the slots held.
  for (const auto& m : t.last_hour(kStart + 600 * kMinute)) CHECK(m.sent[0] == 0);
}

TEST_CASE("deliveries recorded from many workers at once are all counted") {
  Throughput t;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&t, w] {
      for (int i = 0; i < 10'000; ++i)
        t.record(w % 2 ? Direction::outbound : Direction::inbound, Throughput::Outcome::sent, kStart + (i % 2) * kMinute);
    });
  for (auto& w : workers) w.join();
  auto hour = t.last_hour(kStart + kMinute);
  CHECK(hour[58].sent == std::array<std::int64_t, 2>{10'000, 10'000});
  CHECK(hour[59].sent == std::array<std::int64_t, 2>{10'000, 10'000});
}
