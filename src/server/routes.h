// Route groups; each adds its endpoints to the router.
#pragma once

#include "server/http_types.h"
#include "server/state.h"

namespace sms::server {

// 503 for a webhook whose message could not be stored (logged; nothing was accepted).
Response store_unavailable(const Error& error);

void add_health_routes(Router& router, AppState& state);    // /api/health, /api/ready
void add_config_routes(Router& router, AppState& state);    // /api/configs (admin token)
void add_twilio_routes(Router& router, AppState& state);    // /callbacks/twilio/{sms,status}
void add_infinity_routes(Router& router, AppState& state);  // /callbacks/avaya/infinity/sms

}  // namespace sms::server
