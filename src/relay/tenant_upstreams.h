// Each tenant's upstream state in one direction, and what a claim may take given them: the
// conversations of the tenants that may be tried now, so that one tenant's failing upstream
// holds up no other tenant's messages.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "relay/upstream_health.h"
#include "store/store.h"

namespace sms::relay {

// What one claim may take: the conversations (by business number) of the tenants whose upstream
// is healthy or due for a probe and, for the default tenant, whose settings allow delivery; at
// most `limit` messages (0: claim nothing), and of each tenant in `probing` only one.
struct ClaimPlan {
  store::NumberFilter filter;
  std::size_t limit = 0;
  std::vector<std::string> probing;
};

// Thread-safe.
class TenantUpstreams {
 public:
  // The tenant's upstream (made healthy at first sight); the reference stays valid.
  UpstreamHealth& of(std::string_view tenant);
  // The plan for a claim in `direction` at `now`: relay.concurrency messages, or one per
  // probing tenant, as each tenant's upstream allows (a probe's turn is taken by the plan).
  ClaimPlan plan(const config::Config& config, store::Direction direction, std::int64_t now);

 private:
  // Whether any tenant's upstream is failing: when none is (and the default tenant may deliver),
  // a claim takes every conversation without looking at each tenant.
  bool any_failing();

  std::mutex mutex_;
  std::map<std::string, UpstreamHealth, std::less<>> by_tenant_;
};

// Of a claim planned with `probing` tenants, keeps the first message of each of them (its probe)
// and every other tenant's; returns the ids of the rest, which are to go back to the queue.
std::vector<std::int64_t> keep_one_probe_each(std::vector<store::Message>& claimed, const std::vector<std::string>& probing,
                                              const config::Config& config);

// The conversations of `tenant`: those of its numbers, or for the default tenant every other.
store::NumberFilter conversations_of(const config::Config& tenant, const config::Config& all);

}  // namespace sms::relay
