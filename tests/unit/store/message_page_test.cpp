// Store::find_messages, the admin API's pages of the outbox, on both backends: newest first,
// each filter, and keyset paging (before_id) that neither skips nor repeats a message.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>

#include "core/clock.h"
#include "store/store.h"
#include "unit/store/backends.h"

using namespace sms;
using namespace sms::store;

namespace {

// Conversation i of four end users and two business numbers.
std::string conversation(int i) { return "+1555000000" + std::to_string(i % 4) + "|+1555990000" + std::to_string(i % 2); }

std::vector<std::int64_t> ids_of(const Result<std::vector<Message>>& page) {
  REQUIRE(page);
  std::vector<std::int64_t> out;
  for (const auto& m : *page) out.push_back(m.id);
  return out;
}

// Messages 0..n-1: a webhook each, inbound when i is even, source id "SM-<i>-x".
std::vector<std::int64_t> enqueue(Store& s, int n) {
  for (int i = 0; i < n; ++i) {
    auto d = i % 2 ? Direction::outbound : Direction::inbound;
    REQUIRE(*s.enqueue("k" + std::to_string(i), {{d, conversation(i), "SM-" + std::to_string(i) + "-x", {{"i", i}}}}) == Enqueued::stored);
  }
  auto ids = ids_of(s.list(std::nullopt, static_cast<std::size_t>(n)));
  std::reverse(ids.begin(), ids.end());  // ids[i] is message i's
  return ids;
}

MessageFilter with(std::function<void(MessageFilter&)> set) {
  MessageFilter f;
  f.limit = 100;
  set(f);
  return f;
}

}  // namespace

CONTRACT_TEST("pages of messages come newest first, limit at a time, and paging by id skips and repeats none") {
  TestType backend;
  auto s = backend.open();
  auto ids = enqueue(*s, 23);
  std::vector<std::int64_t> seen;
  MessageFilter f;
  f.limit = 5;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 10);
    auto page = ids_of(s->find_messages(f));
    CHECK(page.size() <= 5);
    if (page.empty()) break;
    CHECK(std::is_sorted(page.rbegin(), page.rend()));
    seen.insert(seen.end(), page.begin(), page.end());
    f.before_id = page.back();
  }
  CHECK(seen.size() == 23);
  CHECK(std::equal(seen.begin(), seen.end(), ids.rbegin(), ids.rend()));  // every one, newest first, once
  f = {};
  f.limit = 3;
  f.before_id = ids[10];
  CHECK(ids_of(s->find_messages(f)) == std::vector<std::int64_t>{ids[9], ids[8], ids[7]});
  f.before_id = ids[0];
  CHECK(ids_of(s->find_messages(f)).empty());
}

CONTRACT_TEST("pages of messages filter by direction, state, either number of the conversation and ids") {
  TestType backend;
  auto s = backend.open();
  auto ids = enqueue(*s, 12);
  // Message 0 sent (provider id SMprov0), message 2 dead; the rest stay queued. Claims take
  // each conversation's oldest, so 0 and 2 are claimed first.
  auto claimed = *s->claim_due(Direction::inbound, unix_ms_now() + 1000, 2, NumberFilter{});
  REQUIRE(claimed.size() == 2);
  REQUIRE(s->mark_sent(ids[0], "SMprov0"));
  REQUIRE(s->mark_dead(ids[2], Error{ErrorKind::permanent, "no", 400, "21211", "", {}}, {}));

  auto find = [&](std::function<void(MessageFilter&)> set) { return ids_of(s->find_messages(with(std::move(set)))); };
  auto expect = [&](std::initializer_list<int> which) {
    std::vector<std::int64_t> out;
    for (int i : which) out.push_back(ids[static_cast<std::size_t>(i)]);
    std::sort(out.rbegin(), out.rend());
    return out;
  };
  CHECK(find([](MessageFilter& f) { f.direction = Direction::outbound; }) == expect({1, 3, 5, 7, 9, 11}));
  CHECK(find([](MessageFilter& f) { f.state = State::sent; }) == expect({0}));
  CHECK(find([](MessageFilter& f) { f.state = State::dead; }) == expect({2}));
  CHECK(find([](MessageFilter& f) { f.state = State::queued; f.direction = Direction::inbound; }) == expect({4, 6, 8, 10}));
  // The end user's number, or the business number: whole, not part of one.
  CHECK(find([](MessageFilter& f) { f.number = "+15550000001"; }) == expect({1, 5, 9}));
  CHECK(find([](MessageFilter& f) { f.number = "+15559900001"; }) == expect({1, 3, 5, 7, 9, 11}));
  CHECK(find([](MessageFilter& f) { f.number = "+1555000000"; }).empty());
  CHECK(find([](MessageFilter& f) { f.number = "+15550000002"; f.direction = Direction::outbound; }).empty());
  // Text: part of the source id or the provider id, or the whole outbox id.
  CHECK(find([](MessageFilter& f) { f.text = "SM-11-"; }) == expect({11}));
  CHECK(find([](MessageFilter& f) { f.text = "SM-1"; }) == expect({1, 10, 11}));
  CHECK(find([](MessageFilter& f) { f.text = "prov0"; }) == expect({0}));
  auto by_id = find([&](MessageFilter& f) { f.text = std::to_string(ids[7]); });
  CHECK(std::find(by_id.begin(), by_id.end(), ids[7]) != by_id.end());
  CHECK(find([](MessageFilter& f) { f.text = "nothing-like-it"; }).empty());
  // Filters and paging together.
  CHECK(find([&](MessageFilter& f) {
          f.direction = Direction::outbound;
          f.before_id = ids[7];
          f.limit = 2;
        }) == expect({5, 3}));
}
