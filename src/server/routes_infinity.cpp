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

Response event(AppState& state, const Request& request) {
  if (request.header("Content-Type").rfind("application/json", 0) != 0)
    return error_response(415, "unsupported_media_type", "Infinity webhooks must be application/json");
  auto config = state.live.get();
  if (auto rejection = check_infinity_signature(request, *config)) return *rejection;
  auto parsed = infinity::parse_event(request.body);
  if (!parsed) return error_response(400, "invalid_event", parsed.error().message);
  const auto& e = *parsed;
  log::Scope ids({{"eventId", e.event_id}, {"messageId", e.message_id}, {"conversationSessionId", e.conversation_session_id}});

  auto ours = config->str("avaya.connectorId");
  if (!ours.empty() && !e.connector_id.empty() && e.connector_id != ours)
    return error_response(403, "wrong_connector",
                          "event is for connector " + e.connector_id + ", not avaya.connectorId");

  if (e.event_type == "health_check") return accepted();
  if (e.event_type != "messages") {
    spdlog::info("ignoring Infinity event type '{}' ({})", e.event_type, e.event_id);
    return accepted();
  }
  if (!infinity::is_outbound_message(e)) {
    spdlog::info("skipping {} message {}: not for the end user", e.sender_type, e.message_id);
    return accepted();
  }
  auto messages = relay::outbound_messages(e, *config);
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
