// Route groups; each adds its endpoints to the router.
#pragma once

#include "server/http_types.h"
#include "server/state.h"

namespace sms::server {

// 503 for a webhook whose message could not be stored (logged; nothing was accepted).
Response store_unavailable(const Error& error);

// Answers 401 unless the request carries Authorization: Bearer <server.adminToken>.
Handler with_admin_token(AppState& state, Handler handler);

// Counts and times a webhook route's answers (infinity_sms_webhooks_total, ..._ack_seconds).
Handler instrumented(const std::string& route, Handler handler);

void add_health_routes(Router& router, AppState& state);    // /api/health, /api/ready
void add_status_routes(Router& router, AppState& state);    // /api/status (admin token)
void add_metrics_routes(Router& router, AppState& state);   // /metrics (Prometheus)
void add_config_routes(Router& router, AppState& state);    // /api/configs (admin token)
void add_optout_routes(Router& router, AppState& state);    // /api/optouts (admin token)
void add_message_routes(Router& router, AppState& state);   // /api/messages... (admin token)
void add_throughput_routes(Router& router, AppState& state);  // /api/throughput (admin token)
void add_console_routes(Router& router);                     // /, /console/... (static files, no token)
void add_twilio_routes(Router& router, AppState& state);    // /callbacks/twilio/{sms,status}
void add_infinity_routes(Router& router, AppState& state);  // /callbacks/avaya/infinity/sms

}  // namespace sms::server
