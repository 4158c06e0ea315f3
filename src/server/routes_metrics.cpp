// GET /metrics (admin listener): Prometheus text format. Webhook routes are wrapped to count
// and time each answer; queue depths and the oldest message's age are read at scrape time.
#include <chrono>

#include "core/clock.h"
#include "core/metrics.h"
#include "server/routes.h"

namespace sms::server {

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
                     out.push_back({{{"upstream", relay::upstream_name(d)}}, u.failing ? static_cast<double>(unix_ms_now() - u.failing_since_ms) / 1000.0 : 0.0});
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
