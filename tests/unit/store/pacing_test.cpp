// Send pacing in the store: the arithmetic of a number's row (store/pacing.h), and the
// reservations both backends make with it, shared by every instance on one store.
#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "store/pacing.h"
#include "unit/store/backends.h"

using namespace sms;
using namespace sms::store;

namespace {

constexpr std::int64_t kSecond = 1'000'000;

}  // namespace

TEST_CASE("a number's slots follow each other at its cost, within the window asked for") {
  Pace p;
  auto a = reserve(p, 5 * kSecond, kSecond, kSecond);
  CHECK((a.granted && a.at_us == 5 * kSecond));  // an idle number sends at once
  auto b = reserve(p, 5 * kSecond, kSecond, kSecond);
  CHECK((b.granted && b.at_us == 6 * kSecond));  // the next slot, within the window
  auto c = reserve(p, 5 * kSecond, kSecond, kSecond);
  CHECK((!c.granted && c.at_us == 7 * kSecond));  // beyond it: refused, and nothing changes
  CHECK(p.next_free_us == 7 * kSecond);
  auto d = reserve(p, 20 * kSecond, kSecond / 2, 0);
  CHECK((d.granted && d.at_us == 20 * kSecond));  // an idle while saves up no burst
  CHECK(p.next_free_us == 20 * kSecond + kSecond / 2);
}

TEST_CASE("Twilio's refusals double a number's cost up to 16 times, and each half-life halves it again") {
  Pace p;
  slow_down(p, 0, 3 * kSecond);
  CHECK(p.slowdown == 2);
  CHECK(p.next_free_us == 3 * kSecond);  // nothing before the Retry-After
  auto a = reserve(p, kSecond, kSecond, 10 * kSecond);
  CHECK(a.at_us == 3 * kSecond);
  CHECK(p.next_free_us == 5 * kSecond);  // the send costs twice its price
  for (int i = 0; i < 10; ++i) slow_down(p, kSecond, 0);
  CHECK(p.slowdown == kMaxSlowdown);
  CHECK(slowdown_at(p, kSecond + kSlowdownHalfLifeUs) == kMaxSlowdown / 2);
  CHECK(slowdown_at(p, kSecond + 3 * kSlowdownHalfLifeUs) == kMaxSlowdown / 8);
  CHECK(slowdown_at(p, kSecond + 10 * kSlowdownHalfLifeUs) == 1);
  // A reservation two half-lives on pays a quarter of the slowdown, and the next halving comes a
  // half-life after the last one, not after the reservation.
  auto later = kSecond + 2 * kSlowdownHalfLifeUs + kSecond;
  auto b = reserve(p, later, kSecond, 10 * kSecond);
  CHECK(b.at_us == later);
  CHECK(p.next_free_us == later + 4 * kSecond);
  CHECK(slowdown_at(p, kSecond + 3 * kSlowdownHalfLifeUs) == 2);
}

CONTRACT_TEST("instances on one store share each number's slots, and no two get the same one") {
  TestType backend;
  auto one = backend.open();
  auto two = backend.open();  // a second process (or instance) on the same store
  constexpr std::int64_t kCost = 1000;
  std::mutex mutex;
  std::vector<std::int64_t> slots;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto& s = t % 2 ? *two : *one;
      for (int i = 0; i < 25; ++i) {
        auto r = s.reserve_slot("+15550100", 0, kCost, 1'000 * kSecond);
        std::lock_guard lock(mutex);
        if (!r) errors.push_back(r.error().message);
        else if (r->granted) slots.push_back(r->at_us);
      }
    });
  for (auto& t : threads) t.join();
  REQUIRE(errors.empty());
  REQUIRE(slots.size() == 100);
  std::sort(slots.begin(), slots.end());
  for (std::size_t i = 0; i < slots.size(); ++i) CHECK(slots[i] == static_cast<std::int64_t>(i) * kCost);
  // Another number has slots of its own.
  CHECK(one->reserve_slot("+15550101", 0, kCost, 0)->at_us == 0);
  // Beyond the window: refused, with the number's next slot.
  auto refused = two->reserve_slot("+15550100", 0, kCost, 0);
  CHECK((!refused->granted && refused->at_us == 100 * kCost));
}

CONTRACT_TEST("a slowdown recorded by one instance costs every instance's next sends of that number") {
  TestType backend;
  auto one = backend.open();
  auto two = backend.open();
  REQUIRE(one->slow_down("+15550100", 0, 2 * kSecond));
  auto a = two->reserve_slot("+15550100", 0, kSecond, 10 * kSecond);
  CHECK((a->granted && a->at_us == 2 * kSecond));
  CHECK(one->reserve_slot("+15550100", 0, kSecond, 10 * kSecond)->at_us == 4 * kSecond);
  CHECK(two->reserve_slot("+15550101", 0, kSecond, 10 * kSecond)->at_us == 0);  // other numbers pay nothing
}

CONTRACT_TEST("a claimed message released until its number's slot is not due before then, and no attempt is counted") {
  TestType backend;
  auto s = backend.open();
  REQUIRE(s->enqueue("k1", {{Direction::outbound, "+15551230001|+15550100", "e1", {{"body", "one"}}},
                            {Direction::outbound, "+15551230001|+15550100", "e2", {{"body", "two"}}}}));
  auto now = unix_ms_now();
  auto claimed = s->claim_due(Direction::outbound, now, 10, {});
  REQUIRE(claimed->size() == 1);
  REQUIRE(s->release({claimed->at(0).id}, now + 5000));
  CHECK(s->claim_due(Direction::outbound, now + 4999, 10, {})->empty());  // not the second either: order holds
  auto again = s->claim_due(Direction::outbound, now + 5000, 10, {});
  REQUIRE(again->size() == 1);
  CHECK(again->at(0).id == claimed->at(0).id);
  CHECK(again->at(0).attempts == 0);
  CHECK(s->attempts(claimed->at(0).id)->empty());
}
