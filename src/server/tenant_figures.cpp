// Each tenant's queue from the store's counts by business number.
#include "server/tenant_figures.h"

namespace sms::server {

Result<std::map<std::string, TenantQueue>> tenant_queues(store::Store& store, const config::Config& config) {
  auto rows = store.counts_by_number();
  if (!rows) return std::unexpected(rows.error());
  std::map<std::string, TenantQueue> out;
  for (const auto& name : config.tenant_names())
    for (int i = 0; i < 7; ++i) out[name].counts[static_cast<store::State>(i)] = 0;
  for (const auto& row : *rows) {
    const auto* tenant = config.serving(row.business_number);
    if (!tenant) continue;
    auto& q = out[tenant->tenant_name()];
    q.counts[row.state] += row.count;
    if ((row.state == store::State::queued || row.state == store::State::sending) &&
        (!q.oldest_queued_ms || row.oldest_created_ms < *q.oldest_queued_ms))
      q.oldest_queued_ms = row.oldest_created_ms;
  }
  return out;
}

}  // namespace sms::server
