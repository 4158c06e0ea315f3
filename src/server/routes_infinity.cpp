// Infinity webhook: health checks, and agents' messages stored for delivery through Twilio.
#include <spdlog/spdlog.h>

#include "core/log.h"
#include "infinity/event.h"
#include "relay/messages.h"
#include "server/routes.h"
#include "server/webhook_auth.h"

namespace sms::server {
namespace {

Response accepted() { return json_response(200, {{"success", true}}); }

// The tenant an Infinity webhook is for: the one whose avaya.connectorId is the event's
// connectorId, else the default tenant (whose checks then refuse a connector that is not its).
// Its webhook secret verifies the signature, so this is read before the event is trusted.
const config::Config& tenant_of(const Request& request, const config::Config& config) {
  if (!config.has_named_tenants()) return config;
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) return config;
  auto id = body.find("connectorId");
  if (id == body.end() || !id->is_string()) return config;
  const auto* tenant = config.tenant_of_connector(id->get<std::string>());
  return tenant ? *tenant : config;
}

Response event(AppState& state, const Request& request) {
  if (request.header("Content-Type").rfind("application/json", 0) != 0)
    return error_response(415, "unsupported_media_type", "Infinity webhooks must be application/json");
  auto config = state.live.get();
  const auto& tenant = tenant_of(request, *config);
  if (auto rejection = check_infinity_signature(request, tenant)) return *rejection;
  auto parsed = infinity::parse_event(request.body);
  if (!parsed) return error_response(400, "invalid_event", parsed.error().message);
  const auto& e = *parsed;
  log::Scope ids({{"eventId", e.event_id}, {"messageId", e.message_id}, {"conversationSessionId", e.conversation_session_id}});

  auto ours = tenant.str("avaya.connectorId");
  if ((!ours.empty() || config->has_named_tenants()) && !e.connector_id.empty() && e.connector_id != ours)
    return error_response(403, "wrong_connector",
                          "event is for connector " + e.connector_id + ", not avaya.connectorId" +
                              (config->has_named_tenants() ? " nor any tenant's" : ""));

  if (e.event_type == "health_check") return accepted();
  if (e.event_type != "messages") {
    spdlog::info("ignoring Infinity event type '{}' ({})", e.event_type, e.event_id);
    return accepted();
  }
  if (!infinity::is_outbound_message(e)) {
    spdlog::info("skipping {} message {}: not for the end user", e.sender_type, e.message_id);
    return accepted();
  }
  // A reply goes out through the account of the number it is sent from: that must be a number of
  // the tenant whose connector it came through, or an agent could send with another's account.
  if (const auto* sender = config->serving(e.from); sender != &tenant)
    return error_response(422, "wrong_tenant",
                          "headers.from " + log::phone(e.from) + " is not a number of " +
                              (tenant.tenant_name() == config::kDefaultTenant ? std::string("the default tenant")
                                                                              : "tenant " + tenant.tenant_name()) +
                              ", whose connector sent the event" +
                              (sender ? " (it is tenant " + sender->tenant_name() + "'s)" : ""));
  auto messages = relay::outbound_messages(e, tenant);
  auto stored = state.store.enqueue(relay::dedupe_key(e), messages);
  if (!stored) return store_unavailable(stored.error());
  if (*stored == store::Enqueued::duplicate) {
    spdlog::info("outbound event {} already received; not relayed again", e.event_id);
  } else {
    spdlog::info("outbound event {} (message {}, session {}) stored as {} message(s)", e.event_id,
                 e.message_id, e.conversation_session_id, messages.size());
    state.relay.notify(store::Direction::outbound);
  }
  return accepted();
}

}  // namespace

void add_infinity_routes(Router& router, AppState& state) {
  router.add("POST", "/callbacks/avaya/infinity/sms",
             instrumented("infinity", [&state](const Request& r) { return event(state, r); }));
}

}  // namespace sms::server
