// Liveness (/api/health), readiness (/api/ready) and the operator's status (/api/status).
#include "core/clock.h"
#include "server/routes.h"
#include "server/tenant_figures.h"
#include "server/webhook_auth.h"

namespace sms::server {
namespace {

Response health() {
  return json_response(200, {{"status", "healthy"},
                             {"timestamp", iso8601_now()},
                             {"service", "infinity-sms"},
                             {"version", INFINITY_SMS_VERSION}});
}

// What readiness and status report: why messages cannot flow, unsigned-webhook warnings, and
// the Infinity token's expiry (when one could be had).
struct Readiness {
  nlohmann::json reasons = nlohmann::json::array(), warnings = nlohmann::json::array();
  std::optional<std::chrono::system_clock::time_point> token_expires;
};

nlohmann::json optional_time(std::optional<std::int64_t> unix_ms) {
  if (!unix_ms) return nullptr;
  return iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(*unix_ms)));
}

nlohmann::json upstream_json(const relay::UpstreamState& u) {
  if (!u.failing) return {{"state", "healthy"}};
  return {{"state", "failing"},
          {"failingSince", optional_time(u.failing_since_ms)},
          {"nextProbe", optional_time(u.next_probe_ms)},
          {"lastError", u.last_error}};
}

Readiness readiness(AppState& state) {
  Readiness r;
  for (auto d : {store::Direction::inbound, store::Direction::outbound})
    if (auto why = state.relay.blocked_reason(d); !why.empty()) r.reasons.push_back(why);
  if (auto w = state.store.check_writable(); !w) r.reasons.push_back("store: " + w.error().message);
  if (r.reasons.empty()) {
    if (auto t = state.relay.check_infinity_token(); !t) r.reasons.push_back("Infinity token: " + t.error().message);
    else r.token_expires = *t;
  }
  for (const auto& w : unsigned_webhook_warnings(*state.live.get())) r.warnings.push_back(w);
  // A failing upstream does not make serve unready: webhooks are still stored, and wait.
  for (auto d : {store::Direction::inbound, store::Direction::outbound})
    if (auto u = state.relay.upstream(d); u.failing)
      r.warnings.push_back(std::string(relay::upstream_name(d)) + " failing since " + optional_time(u.failing_since_ms).get<std::string>() +
                           " (" + u.last_error + "): " + store::to_string(d) + " messages wait for it to answer a probe");
  // Spooling still stores every webhook durably, so this instance stays ready; but its messages
  // wait until the shared store is back.
  if (auto n = state.store.spooled(); n > 0)
    r.warnings.push_back("store: " + std::to_string(n) + " webhook(s) kept in the local spool until the shared store is reachable");
  return r;
}

// Ready when both directions can flow, the store takes writes and a token can be had.
Response ready(AppState& state) {
  auto r = readiness(state);
  nlohmann::json body = {{"status", r.reasons.empty() ? "ready" : "not_ready"}, {"timestamp", iso8601_now()}};
  if (!r.reasons.empty()) body["reasons"] = r.reasons;
  if (!r.warnings.empty()) body["warnings"] = r.warnings;
  return json_response(r.reasons.empty() ? 200 : 503, body);
}

// Each tenant's queue, oldest message, dead letters, upstreams and token, with named tenants.
nlohmann::json tenants_json(AppState& state, const config::Config& config) {
  auto queues = tenant_queues(state.store, config);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& name : config.tenant_names()) {
    auto& t = out[name];
    t["numbers"] = config.numbers(name);
    if (queues) {
      const auto& q = queues->at(name);
      for (const auto& [s, n] : q.counts) t["queue"][store::to_string(s)] = n;
      t["oldestQueued"] = optional_time(q.oldest_queued_ms);
      t["deadLetters"] = q.counts.at(store::State::dead);
    }
    for (auto d : {store::Direction::inbound, store::Direction::outbound})
      t["upstreams"][relay::upstream_name(d)] = upstream_json(state.relay.upstream(d, name));
    auto token = state.relay.check_infinity_token(name);
    t["tokenExpires"] = token && *token ? nlohmann::json(iso8601(**token)) : nlohmann::json(nullptr);
    if (!token) t["tokenError"] = token.error().message;
  }
  return out;
}

// What an operator checks first: readiness, the queue, the last delivery each way, each
// upstream's state, dead letters, the opt-out register's size and the token's expiry.
Response status(AppState& state) {
  auto r = readiness(state);
  nlohmann::json queue = nlohmann::json::object();
  if (auto counts = state.store.counts())
    for (const auto& [s, n] : *counts) queue[store::to_string(s)] = n;
  auto oldest = state.store.oldest_queued_created_ms();
  auto stats = state.relay.stats();
  auto opt_outs = state.store.count_opt_outs();
  nlohmann::json upstreams = nlohmann::json::object();
  for (auto d : {store::Direction::inbound, store::Direction::outbound})
    upstreams[relay::upstream_name(d)] = upstream_json(state.relay.upstream(d));
  nlohmann::json body = {
      {"status", r.reasons.empty() ? "ready" : "not_ready"},
      {"reasons", r.reasons},
      {"warnings", r.warnings},
      {"version", INFINITY_SMS_VERSION},
      {"store", {{"backend", state.store.backend()}, {"spooled", state.store.spooled()}}},
      {"queue", queue},
      {"oldestQueued", optional_time(oldest ? *oldest : std::nullopt)},
      {"lastDelivery", {{"inbound", optional_time(stats.last_sent_inbound_ms)},
                        {"outbound", optional_time(stats.last_sent_outbound_ms)}}},
      {"upstreams", upstreams},
      {"deadLetters", queue.value("dead", 0)},
      {"optOuts", opt_outs ? nlohmann::json(*opt_outs) : nlohmann::json(nullptr)},
      {"tokenExpires", r.token_expires ? nlohmann::json(iso8601(*r.token_expires)) : nlohmann::json(nullptr)},
  };
  if (auto config = state.live.get(); config->has_named_tenants()) body["tenants"] = tenants_json(state, *config);
  return json_response(200, body);
}

}  // namespace

void add_status_routes(Router& router, AppState& state) {
  router.add("GET", "/api/status", with_admin_token(state, [&state](const Request&) { return status(state); }));
}

void add_health_routes(Router& router, AppState& state) {
  router.add("GET", "/api/health", [](const Request&) { return health(); });
  router.add("GET", "/api/ready", [&state](const Request&) { return ready(state); });
}

}  // namespace sms::server
