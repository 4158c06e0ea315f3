// This instance's deliveries per minute over the last hour (/api/throughput, admin token), from
// the relay's in-memory ring: what an operator's console draws.
#include "core/clock.h"
#include "server/routes.h"

namespace sms::server {
namespace {

Response throughput(AppState& state) {
  auto minutes = nlohmann::json::array();
  for (const auto& m : state.relay.throughput().last_hour(unix_ms_now()))
    minutes.push_back({{"at", iso8601(SysTime(std::chrono::milliseconds(m.start_ms)))},
                       {"inbound", m.sent[0]},
                       {"outbound", m.sent[1]},
                       {"dead", {{"inbound", m.dead[0]}, {"outbound", m.dead[1]}}}});
  return json_response(200, {{"minutes", std::move(minutes)}});
}

}  // namespace

void add_throughput_routes(Router& router, AppState& state) {
  router.add("GET", "/api/throughput", with_admin_token(state, [&state](const Request&) { return throughput(state); }));
}

}  // namespace sms::server
