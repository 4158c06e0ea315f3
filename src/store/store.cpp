// The names of the outbox's directions and message states, and parsing them.
#include "store/store.h"

#include <algorithm>
#include <string>

namespace sms::store {

const char* to_string(Direction d) { return d == Direction::inbound ? "inbound" : "outbound"; }

std::optional<Direction> parse_direction(std::string_view s) {
  if (s == "inbound") return Direction::inbound;
  if (s == "outbound") return Direction::outbound;
  return std::nullopt;
}

std::string_view business_number(std::string_view conversation) {
  auto bar = conversation.find('|');
  return bar == std::string_view::npos ? std::string_view() : conversation.substr(bar + 1);
}

bool NumberFilter::admits(std::string_view conversation) const {
  if (mode == Mode::all) return true;
  bool listed = std::find(numbers.begin(), numbers.end(), business_number(conversation)) != numbers.end();
  return listed == (mode == Mode::only);
}

std::int64_t MessageFilter::text_id() const {
  if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  return std::stoll(text);
}

namespace {
constexpr const char* kStates[] = {"queued", "sending", "sent", "delivered", "failed", "dead", "expired"};
}

const char* to_string(State s) { return kStates[static_cast<int>(s)]; }

std::optional<State> parse_state(std::string_view s) {
  for (int i = 0; i < 7; ++i)
    if (s == kStates[i]) return static_cast<State>(i);
  return std::nullopt;
}

}  // namespace sms::store
