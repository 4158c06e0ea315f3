// Each tenant's upstream state in one direction, and the claims they allow.
#include "relay/tenant_upstreams.h"

#include <algorithm>

#include "core/clock.h"
#include "relay/providers.h"

namespace sms::relay {

UpstreamHealth& TenantUpstreams::of(std::string_view tenant) {
  std::lock_guard lock(mutex_);
  if (auto it = by_tenant_.find(tenant); it != by_tenant_.end()) return it->second;
  return by_tenant_.try_emplace(std::string(tenant)).first->second;
}

bool TenantUpstreams::any_failing() {
  std::lock_guard lock(mutex_);
  return std::any_of(by_tenant_.begin(), by_tenant_.end(), [](const auto& t) { return t.second.failing(); });
}

ClaimPlan TenantUpstreams::plan(const config::Config& c, store::Direction direction, std::int64_t now) {
  ClaimPlan plan;
  auto normal = static_cast<std::size_t>(c.integer("relay.concurrency"));
  const auto& names = c.tenant_names();
  bool default_in_use = !names.empty() && names.front() == config::kDefaultTenant;
  if (default_in_use && !any_failing() && blocked_reason(c, direction).empty()) {  // every tenant open
    plan.limit = normal;
    return plan;
  }
  auto interval = parse_duration(c.str("relay.probeInterval")).value_or(std::chrono::seconds(1));
  std::vector<std::string> open;
  bool default_open = false, all_open = true;
  for (const auto& name : c.tenant_names()) {
    auto& health = of(name);
    bool probing = health.state().failing;
    // Only the default tenant can lack settings: a named one without them is refused (check_tenants).
    bool blocked = name == config::kDefaultTenant && !blocked_reason(c, direction).empty();
    if (blocked || health.claim_limit(now, normal, interval) == 0) {
      all_open = false;
      continue;
    }
    if (probing) plan.probing.push_back(name);
    if (name == config::kDefaultTenant) default_open = true;
    else open.push_back(name);
  }
  if (!default_open && open.empty()) return plan;
  plan.limit = normal;
  if (all_open && default_open) return plan;
  if (default_open) {  // every conversation but those of the closed named tenants
    plan.filter.mode = store::NumberFilter::Mode::except;
    for (const auto& name : c.tenant_names())
      if (name != config::kDefaultTenant && std::find(open.begin(), open.end(), name) == open.end())
        for (auto& n : c.numbers(name)) plan.filter.numbers.push_back(std::move(n));
  } else {  // the default tenant is closed (or not in use): only the open named tenants' conversations
    plan.filter.mode = store::NumberFilter::Mode::only;
    for (const auto& name : open)
      for (auto& n : c.numbers(name)) plan.filter.numbers.push_back(std::move(n));
  }
  return plan;
}

std::vector<std::int64_t> keep_one_probe_each(std::vector<store::Message>& claimed, const std::vector<std::string>& probing,
                                              const config::Config& c) {
  std::vector<store::Message> kept;
  std::vector<std::int64_t> back;
  std::vector<std::string> probed;
  for (auto& m : claimed) {
    const auto& tenant = tenant_view(c, m).tenant_name();
    if (std::find(probing.begin(), probing.end(), tenant) == probing.end()) kept.push_back(std::move(m));
    else if (std::find(probed.begin(), probed.end(), tenant) != probed.end()) back.push_back(m.id);
    else {
      probed.push_back(tenant);  // this tenant's probe
      kept.push_back(std::move(m));
    }
  }
  claimed = std::move(kept);
  return back;
}

store::NumberFilter conversations_of(const config::Config& tenant, const config::Config& all) {
  if (tenant.tenant_name() != config::kDefaultTenant) return {store::NumberFilter::Mode::only, all.numbers(tenant.tenant_name())};
  store::NumberFilter f{store::NumberFilter::Mode::except, {}};
  for (const auto& name : all.tenant_names())
    for (auto& n : all.numbers(name)) f.numbers.push_back(std::move(n));
  return f;
}

}  // namespace sms::relay
