// Webhook signature checks (Twilio, Infinity), when unsigned ones pass, and the admin token check.
#include "server/webhook_auth.h"

#include "core/crypto.h"
#include "core/metrics.h"
#include "infinity/signature.h"
#include "twilio/signature.h"

namespace sms::server {
namespace {

// The answer to a webhook refused for its signature, counted by provider and reason (the code).
Response refuse(const char* provider, int status, std::string_view code, std::string_view message) {
  metrics::registry()
      .counter("infinity_sms_signature_failures_total", "Webhooks refused for their signature, by provider and reason",
               {{"provider", provider}, {"reason", std::string(code)}})
      .inc();
  return error_response(status, code, message);
}

bool accepts_unsigned_twilio(const config::Config& c) {
  return !c.flag("twilio.validateSignature") ||
         (c.twilio_mock() && c.str("twilio.account.authToken").empty());
}

bool accepts_unsigned_infinity(const config::Config& c) {
  return c.str("avaya.webhookSecret").empty() &&
         (c.avaya_mock() || c.flag("avaya.allowUnsignedWebhooks"));
}

// First comma-separated value of a forwarding header ("https, http" from proxy chains).
std::string first_value(const std::string& v) {
  auto s = v.substr(0, v.find(','));
  auto b = s.find_first_not_of(' ');
  auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

bool twilio_webhooks_unverifiable(const config::Config& c) {
  return !accepts_unsigned_twilio(c) && c.str("twilio.account.authToken").empty();
}

bool infinity_webhooks_unverifiable(const config::Config& c) {
  return !accepts_unsigned_infinity(c) && c.str("avaya.webhookSecret").empty();
}

std::string twilio_signed_url(const Request& request, const config::Config& config) {
  auto public_url = config.str("server.publicUrl");
  if (!public_url.empty()) {
    while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
    return public_url + request.target;
  }
  std::string scheme = request.tls ? "https" : "http";
  std::string host = request.header("Host");
  if (config.flag("server.trustProxy")) {
    if (auto p = first_value(request.header("X-Forwarded-Proto")); !p.empty()) scheme = p;
    if (auto h = first_value(request.header("X-Forwarded-Host")); !h.empty()) host = h;
  }
  return scheme + "://" + host + request.target;
}

std::optional<Response> check_twilio_signature(const Request& request, const form::Fields& fields,
                                               const config::Config& config) {
  if (accepts_unsigned_twilio(config)) return std::nullopt;
  auto token = config.str("twilio.account.authToken");
  if (twilio_webhooks_unverifiable(config))
    return refuse("twilio", 401, "signature_unverifiable",
                          config.key_name("twilio.account.authToken") + " is not set, so X-Twilio-Signature cannot be "
                          "verified; set it with 'infinity-sms config set " + config.key_name("twilio.account.authToken") +
                          " TOKEN' (or " + config.key_name("twilio.validateSignature") + " false to accept unsigned webhooks)");
  auto signature = request.header("X-Twilio-Signature");
  if (signature.empty())
    return refuse("twilio", 401, "signature_missing", "X-Twilio-Signature header is missing");
  // During a rotation the previous token is accepted too (Twilio may still sign with it).
  const std::vector<std::string> tokens = {token, config.str("twilio.account.previousAuthToken")};
  if (!twilio::validate_signature(tokens, signature, twilio_signed_url(request, config), fields,
                                  request.body))
    return refuse("twilio", 403, "signature_mismatch",
                          "X-Twilio-Signature does not match; if the connector is behind a proxy "
                          "or tunnel, set server.publicUrl to the URL configured in Twilio");
  return std::nullopt;
}

std::optional<Response> check_infinity_signature(const Request& request,
                                                 const config::Config& config) {
  auto secret = config.str("avaya.webhookSecret");
  if (infinity_webhooks_unverifiable(config))
    return refuse("infinity", 401, "signature_unverifiable",
                          config.key_name("avaya.webhookSecret") + " is not set, so x-avaya-event-signature cannot be "
                          "verified; set it to the connector's Webhook Secret (or " +
                          config.key_name("avaya.allowUnsignedWebhooks") + " true to accept unsigned webhooks)");
  if (accepts_unsigned_infinity(config)) return std::nullopt;
  switch (infinity::check_signature({secret, config.str("avaya.previousWebhookSecret")},
                                    request.header("x-avaya-event-signature"), request.body)) {
    case infinity::SignatureCheck::ok: return std::nullopt;
    case infinity::SignatureCheck::missing:
      return refuse("infinity", 401, "signature_missing", "x-avaya-event-signature header is missing");
    case infinity::SignatureCheck::malformed:
      return refuse("infinity", 401, "signature_malformed",
                            "x-avaya-event-signature must be sha256=<base64 HMAC-SHA256>");
    case infinity::SignatureCheck::mismatch: break;
  }
  return refuse("infinity", 403, "signature_mismatch",
                        "x-avaya-event-signature does not match " + config.key_name("avaya.webhookSecret"));
}

std::vector<std::string> unsigned_webhook_warnings(const config::Config& config) {
  std::vector<std::string> w;
  for (const auto& name : config.tenant_names()) {
    const auto& c = *config.tenant(name);
    if (!c.flag("twilio.validateSignature"))
      w.push_back(c.key_name("twilio.validateSignature") + " is false: Twilio webhooks are accepted without a signature");
    else if (accepts_unsigned_twilio(c))
      w.push_back("Twilio mock mode without " + c.key_name("twilio.account.authToken") +
                  ": unsigned Twilio webhooks are accepted");
    if (accepts_unsigned_infinity(c))
      w.push_back(c.flag("avaya.allowUnsignedWebhooks")
                      ? c.key_name("avaya.allowUnsignedWebhooks") + " is true: Infinity webhooks are accepted without a signature"
                      : "Infinity mock mode without " + c.key_name("avaya.webhookSecret") +
                            ": unsigned Infinity webhooks are accepted");
  }
  return w;
}

std::optional<Response> check_admin_token(const Request& request, const config::Config& config) {
  auto token = config.str("server.adminToken");
  auto header = request.header("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  bool ok = !token.empty() && header.size() > prefix.size() &&
            header.compare(0, prefix.size(), prefix) == 0 &&
            crypto::constant_time_equal(std::string_view(header).substr(prefix.size()), token);
  if (ok) return std::nullopt;
  auto r = error_response(401, "unauthorized",
                          "this endpoint needs Authorization: Bearer <server.adminToken>; see it "
                          "with 'infinity-sms config show --reveal'");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace sms::server
