// Each tenant's figures for /api/status and /metrics: its queue by state and its oldest
// undelivered message, summed from the store's counts by business number.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/config.h"
#include "store/store.h"

namespace sms::server {

struct TenantQueue {
  std::map<store::State, std::int64_t> counts;   // every state, 0 when none
  std::optional<std::int64_t> oldest_queued_ms;  // created_ms of the oldest queued or sending
};

// Every tenant in use, by name; a number no tenant serves counts for none.
Result<std::map<std::string, TenantQueue>> tenant_queues(store::Store& store, const config::Config& config);

}  // namespace sms::server
