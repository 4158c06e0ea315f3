// GET /metrics (admin listener): Prometheus text format. Webhook routes are wrapped to count
// and time each answer; queue depths and the oldest message's age are read at scrape time.
#include <chrono>

#include "core/clock.h"
#include "core/metrics.h"
#include "server/routes.h"
#include "server/tenant_figures.h"

namespace sms::server {
namespace {

double failing_seconds(const relay::UpstreamState& u) {
  return u.failing ? static_cast<double>(unix_ms_now() - u.failing_since_ms) / 1000.0 : 0.0;
}

// Each tenant's queue with named tenants; none without them, or when the store does not answer.
std::map<std::string, TenantQueue> named_tenant_queues(AppState& state) {
  auto config = state.live.get();
  if (!config->has_named_tenants()) return {};
  auto queues = tenant_queues(state.store, *config);
  return queues ? std::move(*queues) : std::map<std::string, TenantQueue>();
}

}  // namespace

Handler instrumented(const std::string& route, Handler handler) {
  return [route, handler = std::move(handler)](const Request& request) {
    auto start = std::chrono::steady_clock::now();
    auto response = handler(request);
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto& registry = metrics::registry();
    registry
        .counter("infinity_sms_webhooks_total", "Webhooks received, by route and HTTP status",
                 {{"route", route}, {"status", std::to_string(response.status)}})
        .inc();
    registry
        .histogram("infinity_sms_webhook_ack_seconds",
                   "Time to answer a webhook, durable commit included (handler time, not network)",
                   {{"route", route}})
        .observe(seconds);
    return response;
  };
}

void add_metrics_routes(Router& router, AppState& state) {
  auto& registry = metrics::registry();
  registry.gauge("infinity_sms_queue_messages", "Messages in the outbox, by state", [&state] {
    std::vector<std::pair<metrics::Labels, double>> out;
    if (auto counts = state.store.counts())
      for (const auto& [s, n] : *counts) out.push_back({{{"state", store::to_string(s)}}, static_cast<double>(n)});
    return out;
  });
  registry.gauge("infinity_sms_oldest_queued_age_seconds", "Age of the oldest undelivered message (0 when none)", [&state] {
    auto oldest = state.store.oldest_queued_created_ms();
    double age = oldest && *oldest ? static_cast<double>(unix_ms_now() - **oldest) / 1000.0 : 0.0;
    return std::vector<std::pair<metrics::Labels, double>>{{{}, age}};
  });
  registry.gauge("infinity_sms_optouts", "Pairs (business number, end user) in the opt-out register", [&state] {
    std::vector<std::pair<metrics::Labels, double>> out;
    if (auto n = state.store.count_opt_outs()) out.push_back({{}, static_cast<double>(*n)});
    return out;
  });
  registry.gauge("infinity_sms_spooled_webhooks", "Webhooks kept in the local spool while the shared store is unreachable", [&state] {
    return std::vector<std::pair<metrics::Labels, double>>{{{}, static_cast<double>(state.store.spooled())}};
  });
  registry.gauge("infinity_sms_upstream_failing_seconds",
                 "How long each upstream has been failing (0 when healthy): deliveries to it are probed, not sent", [&state] {
                   std::vector<std::pair<metrics::Labels, double>> out;
                   for (auto d : {store::Direction::inbound, store::Direction::outbound}) {
                     auto u = state.relay.upstream(d);
                     out.push_back({{{"upstream", relay::upstream_name(d)}}, failing_seconds(u)});
                   }
                   return out;
                 });
  // With named tenants, the same figures by tenant.
  registry.gauge("infinity_sms_tenant_queue_messages", "Messages in the outbox, by tenant and state (named tenants only)", [&state] {
    std::vector<std::pair<metrics::Labels, double>> out;
    for (const auto& [tenant, q] : named_tenant_queues(state))
      for (const auto& [s, n] : q.counts) out.push_back({{{"state", store::to_string(s)}, {"tenant", tenant}}, static_cast<double>(n)});
    return out;
  });
  registry.gauge("infinity_sms_tenant_oldest_queued_age_seconds",
                 "Age of each tenant's oldest undelivered message, 0 when none (named tenants only)", [&state] {
                   std::vector<std::pair<metrics::Labels, double>> out;
                   for (const auto& [tenant, q] : named_tenant_queues(state))
                     out.push_back({{{"tenant", tenant}},
                                    q.oldest_queued_ms ? static_cast<double>(unix_ms_now() - *q.oldest_queued_ms) / 1000.0 : 0.0});
                   return out;
                 });
  registry.gauge("infinity_sms_tenant_upstream_failing_seconds",
                 "How long each tenant's upstream has been failing, 0 when healthy (named tenants only)", [&state] {
                   std::vector<std::pair<metrics::Labels, double>> out;
                   auto config = state.live.get();
                   if (!config->has_named_tenants()) return out;
                   for (const auto& tenant : config->tenant_names())
                     for (auto d : {store::Direction::inbound, store::Direction::outbound}) {
                       out.push_back({{{"tenant", tenant}, {"upstream", relay::upstream_name(d)}},
                                      failing_seconds(state.relay.upstream(d, tenant))});
                     }
                   return out;
                 });
  router.add("GET", "/metrics", [](const Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics::registry().render();
    return r;
  });
}

}  // namespace sms::server
