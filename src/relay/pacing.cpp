// Each business number's send rate and what a message costs of it.
#include "relay/pacing.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/phone.h"
#include "core/text.h"

namespace sms::relay {

double send_rate(const config::Config& tenant, std::string_view number) {
  if (tenant.twilio_mock()) return 0;
  if (const auto* own = config::get_dotted(tenant.tree(), "relay.pacing.numbers"); own && own->is_object())
    if (auto it = own->find(number); it != own->end() && it->is_number()) return it->get<double>();
  switch (number_kind(number)) {
    case NumberKind::short_code: return tenant.rate("relay.pacing.shortCode");
    case NumberKind::toll_free: return tenant.rate("relay.pacing.tollFree");
    case NumberKind::long_code: break;
  }
  return tenant.rate("relay.pacing.longCode");
}

std::int64_t send_cost_us(const config::Config& tenant, const store::Message& m) {
  auto rate = send_rate(tenant, store::business_number(m.conversation));
  if (!(rate > 0)) return 0;
  double units = 1;
  if (tenant.str("relay.pacing.unit") == "segments") {
    auto payload = nlohmann::json::parse(m.payload, nullptr, false);
    auto body = payload.is_object() ? payload.value("body", std::string()) : std::string();
    units = static_cast<double>(text::segments(body).count);
  }
  return std::max<std::int64_t>(1, std::llround(units * 1e6 / rate));
}

bool rate_limited(const Error& e) { return e.http_status == 429 || e.provider_code == "20429"; }

void PacedQueue::hold(store::Message m, std::int64_t at_us) { held_.emplace(at_us, std::move(m)); }

std::optional<store::Message> PacedQueue::due(std::int64_t now_us) {
  if (held_.empty() || held_.begin()->first > now_us) return std::nullopt;
  auto m = std::move(held_.begin()->second);
  held_.erase(held_.begin());
  return m;
}

std::optional<std::int64_t> PacedQueue::next_us() const {
  if (held_.empty()) return std::nullopt;
  return held_.begin()->first;
}

void PacedQueue::skip(std::string number, std::int64_t until_us) {
  auto& until = skipped_[std::move(number)];
  until = std::max(until, until_us);
}

void PacedQueue::exclude_skipped(store::NumberFilter& filter, std::int64_t now_us) {
  std::erase_if(skipped_, [&](const auto& s) { return s.second <= now_us; });
  if (skipped_.empty()) return;
  using Mode = store::NumberFilter::Mode;
  if (filter.mode == Mode::only) {
    std::erase_if(filter.numbers, [&](const std::string& n) { return skipped_.contains(n); });
    return;
  }
  filter.mode = Mode::except;
  for (const auto& [number, until] : skipped_) filter.numbers.push_back(number);
}

std::vector<std::int64_t> PacedQueue::take_all() {
  std::vector<std::int64_t> ids;
  for (const auto& [at, m] : held_) ids.push_back(m.id);
  held_.clear();
  return ids;
}

}  // namespace sms::relay
