// Liveness (/api/health) and readiness (/api/ready).
#include "core/clock.h"
#include "server/routes.h"
#include "server/webhook_auth.h"

namespace sms::server {
namespace {

Response health() {
  return json_response(200, {{"status", "healthy"},
                             {"timestamp", iso8601_now()},
                             {"service", "infinity-sms"},
                             {"version", INFINITY_SMS_VERSION}});
}

// Ready when both directions can flow, the store takes writes and a token can be had.
Response ready(AppState& state) {
  nlohmann::json reasons = nlohmann::json::array();
  for (auto d : {store::Direction::inbound, store::Direction::outbound})
    if (auto why = state.relay.blocked_reason(d); !why.empty()) reasons.push_back(why);
  if (auto w = state.store.check_writable(); !w) reasons.push_back("store: " + w.error().message);
  if (reasons.empty())
    if (auto t = state.relay.check_infinity_token(); !t)
      reasons.push_back("Infinity token: " + t.error().message);
  auto warnings = unsigned_webhook_warnings(*state.live.get());
  nlohmann::json body = {{"status", reasons.empty() ? "ready" : "not_ready"},
                         {"timestamp", iso8601_now()}};
  if (!reasons.empty()) body["reasons"] = reasons;
  if (!warnings.empty()) body["warnings"] = warnings;
  return json_response(reasons.empty() ? 200 : 503, body);
}

}  // namespace

void add_health_routes(Router& router, AppState& state) {
  router.add("GET", "/api/health", [](const Request&) { return health(); });
  router.add("GET", "/api/ready", [&state](const Request&) { return ready(state); });
}

}  // namespace sms::server
