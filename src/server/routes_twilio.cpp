// Twilio webhooks: inbound SMS (stored, then acknowledged with empty TwiML) and status callbacks.
#include <spdlog/spdlog.h>

#include "compliance/notice.h"
#include "compliance/opt_out_register.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/phone.h"
#include "relay/messages.h"
#include "relay/providers.h"
#include "server/routes.h"
#include "server/webhook_auth.h"
#include "twilio/webhook.h"

namespace sms::server {
namespace {

// Twilio sends about 20 fields, plus two per media item (at most 10): far below this.
constexpr std::size_t kMaxFormFields = 256;

bool is_form(const Request& r) {
  return r.header("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
}

// A signed Twilio form webhook: its fields and the tenant it is for.
struct SignedForm {
  form::Fields fields;
  const config::Config* tenant;
};

// The fields of a signed Twilio form webhook and its tenant (the one serving the business number
// in `business_field`: To for inbound SMS, From for status callbacks), or the response that
// rejects it: no tenant serves the number, the AccountSid is not the tenant's (checked once named
// tenants exist: alone, the connector accepts its subaccounts' webhooks as the sample did), the
// signature does not verify with the tenant's auth token.
std::expected<SignedForm, Response> signed_form(const Request& request, const config::Config& config,
                                                std::string_view business_field) {
  if (!is_form(request))
    return std::unexpected(error_response(415, "unsupported_media_type",
                                          "Twilio webhooks must be application/x-www-form-urlencoded"));
  auto fields = form::parse(request.body);
  if (fields.size() > kMaxFormFields)
    return std::unexpected(error_response(
        413, "too_many_fields", "a Twilio webhook has at most " + std::to_string(kMaxFormFields) + " form fields"));
  auto number = form::value(fields, business_field);
  const auto* tenant = config.serving(number);
  if (!tenant)
    return std::unexpected(error_response(403, "unknown_number",
                                          std::string(business_field) + " " + log::phone(number) +
                                              " is none of the tenants' numbers (tenants.<name>.numbers), and the top-level "
                                              "twilio section (the default tenant) is not configured"));
  auto ours = tenant->str("twilio.account.sid");
  auto theirs = form::value(fields, "AccountSid");
  if (config.has_named_tenants() && !ours.empty() && theirs != ours)
    return std::unexpected(error_response(
        403, "wrong_account", "the webhook's AccountSid is not " + tenant->key_name("twilio.account.sid") + ", the account of " +
                                  std::string(business_field) + " " + log::phone(number)));
  if (auto rejection = check_twilio_signature(request, fields, *tenant)) return std::unexpected(*rejection);
  return SignedForm{std::move(fields), tenant};
}

std::optional<store::State> state_for(const std::string& twilio_status) {
  if (twilio_status == "sent") return store::State::sent;
  if (twilio_status == "delivered") return store::State::delivered;
  if (twilio_status == "undelivered" || twilio_status == "failed") return store::State::failed;
  return std::nullopt;  // queued, accepted, sending, scheduled...: nothing to record
}

Response inbound(AppState& state, const Request& request) {
  auto config = state.live.get();
  auto signed_webhook = signed_form(request, *config, "To");
  if (!signed_webhook) return signed_webhook.error();
  auto sms = twilio::parse_inbound(signed_webhook->fields);
  if (!sms) return error_response(400, "invalid_webhook", sms.error().message);
  log::Scope ids({{"messageSid", sms->message_sid}, {"from", log::phone(sms->from)}});

  auto messages = relay::inbound_messages(*sms, *signed_webhook->tenant, iso8601_now());
  auto stored = state.store.enqueue(relay::dedupe_key(*sms), messages);
  if (!stored) return store_unavailable(stored.error());
  // The register changes before the webhook is answered (a redelivery applies it again): a reply
  // written after the STOP reached the agent must find it.
  auto action = compliance::opt_action(sms->body, sms->opt_out_type);
  auto source = sms->opt_out_type.empty() ? "keyword" : "OptOutType";
  if (auto r = compliance::apply(state.store, action, sms->to, sms->from, source, compliance::keyword(sms->body)); !r)
    return store_unavailable(r.error());
  if (*stored == store::Enqueued::duplicate) {
    spdlog::info("inbound {} already received; not relayed again", sms->message_sid);
  } else {
    spdlog::info("inbound {} stored as {} message(s)", sms->message_sid, messages.size());
    spdlog::debug("inbound {} text: {}", sms->message_sid, log::text(sms->body));
    state.relay.notify(store::Direction::inbound);
  }
  return twiml_response();
}

Response status(AppState& state, const Request& request) {
  auto config = state.live.get();
  auto signed_webhook = signed_form(request, *config, "From");
  if (!signed_webhook) return signed_webhook.error();
  auto callback = twilio::parse_status(signed_webhook->fields);
  if (!callback) return error_response(400, "invalid_webhook", callback.error().message);
  log::Scope ids({{"messageSid", callback->message_sid}});
  // 21610: the end user had opted out (texted STOP to this number) before we knew it.
  if (callback->error_code == "21610" && is_e164(callback->from) && is_e164(callback->to))
    if (auto r = compliance::apply(state.store, compliance::OptAction::stop, callback->from, callback->to, "status-callback", ""); !r)
      return store_unavailable(r.error());
  if (auto next = state_for(callback->status)) {
    auto notice = [&](const store::Message& failed) {
      return compliance::notice_for(failed, relay::tenant_view(*config, failed), iso8601_now());
    };
    auto updated = state.store.record_status(callback->message_sid, *next, callback->error_code, notice);
    if (!updated) return store_unavailable(updated.error());
    spdlog::info("status {} for {}{}", callback->status, callback->message_sid,
                 *updated ? "" : " (no change)");
    if (*updated && *next == store::State::failed) state.relay.notify(store::Direction::inbound);  // its notice, if any
  }
  return twiml_response();
}

}  // namespace

void add_twilio_routes(Router& router, AppState& state) {
  router.add("POST", "/callbacks/twilio/sms", instrumented("twilio_sms", [&state](const Request& r) { return inbound(state, r); }));
  router.add("POST", "/callbacks/twilio/status",
             instrumented("twilio_status", [&state](const Request& r) { return status(state, r); }));
}

}  // namespace sms::server
