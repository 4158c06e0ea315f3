// Who may post webhooks: Twilio's X-Twilio-Signature and Infinity's x-avaya-event-signature,
// and when unsigned webhooks are allowed (mock mode without secrets, or an explicit opt-out).
#pragma once

#include <optional>
#include <string>

#include "core/config.h"
#include "core/form.h"
#include "server/http_types.h"

namespace sms::server {

// The URL Twilio signed: server.publicUrl + the request target when a public URL is set;
// otherwise scheme and host from the request (X-Forwarded-Proto / X-Forwarded-Host honoured
// only when server.trustProxy is true) + the target.
std::string twilio_signed_url(const Request& request, const config::Config& config);

// nullopt when the request may proceed; otherwise the rejection to send (401 missing or
// unverifiable, 403 mismatch).
std::optional<Response> check_twilio_signature(const Request& request, const form::Fields& fields,
                                               const config::Config& config);
std::optional<Response> check_infinity_signature(const Request& request,
                                                 const config::Config& config);

// Start-up and readiness warnings about unsigned webhooks being accepted, for every tenant.
std::vector<std::string> unsigned_webhook_warnings(const config::Config& config);

// True when no secret is configured to verify the provider's webhooks and unsigned ones are not
// accepted either: every such webhook is refused with 401 signature_unverifiable.
bool twilio_webhooks_unverifiable(const config::Config& config);
bool infinity_webhooks_unverifiable(const config::Config& config);

// Bearer admin token check (constant time); nullopt when authorised, else a 401.
std::optional<Response> check_admin_token(const Request& request, const config::Config& config);

}  // namespace sms::server
