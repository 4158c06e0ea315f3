// Infinity access tokens: the client-credentials request, OAuth errors and the token cache.
#include "infinity/token_provider.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "core/form.h"
#include "core/jwt.h"
#include "core/metrics.h"

namespace sms::infinity {
namespace {

using Clock = std::chrono::system_clock;

Error oauth_error(const http::Response& r, const std::string& base_url) {
  Error e;
  e.http_status = r.status;
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) e.provider_code = body["error"];
  if (body.is_object() && body.contains("error_description") && body["error_description"].is_string())
    e.more_info = body["error_description"];
  const auto& code = e.provider_code;
  if (r.status == 404) {
    e.kind = ErrorKind::permanent;
    e.message = "token endpoint not found at " + base_url + ": check avaya.host";
  } else if (r.status == 429 || r.status >= 500) {
    e.kind = ErrorKind::retryable;
    e.message = "Infinity token endpoint answered HTTP " + std::to_string(r.status) + "; will retry";
    e.retry_after = http::parse_retry_after(r.header("Retry-After"));
  } else if (code == "invalid_client" || code == "unauthorized_client" || r.status == 401) {
    e.kind = ErrorKind::auth;
    e.message = "Infinity rejected the client credentials (" + (code.empty() ? "HTTP 401" : code) +
                "): check avaya.clientId and avaya.clientSecret";
  } else {
    e.kind = ErrorKind::auth;
    e.message = "Infinity refused the token request (" + (code.empty() ? "HTTP " + std::to_string(r.status) : code) +
                (e.more_info.empty() ? "" : ": " + e.more_info) + "): check the connector's client credentials";
  }
  return e;
}

}  // namespace

Result<Token> request_token(http::Client& client, const ClientCredentials& creds) {
  if (creds.base_url.empty() || creds.client_id.empty() || creds.client_secret.empty())
    return fail(ErrorKind::config,
                "Infinity credentials are missing: set avaya.host, avaya.clientId and avaya.clientSecret");
  form::Fields f{{"grant_type", "client_credentials"}, {"client_id", creds.client_id}, {"client_secret", creds.client_secret}};
  http::Request req{"POST", "/auth/realms/avaya/protocol/openid-connect/token", {{"Accept", "application/json"}},
                    form::encode(f), "application/x-www-form-urlencoded"};
  auto issued = Clock::now();
  auto r = client.send(req);
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return std::unexpected(oauth_error(*r, creds.base_url));
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    return fail(ErrorKind::retryable, "Infinity token endpoint answered without an access_token");
  Token t;
  t.access_token = j["access_token"];
  t.expires_in = j.contains("expires_in") && j["expires_in"].is_number() ? j["expires_in"].get<std::int64_t>() : 300;
  t.claims = jwt::claims(t.access_token).value_or(nlohmann::json::object());
  auto exp = jwt::expiry(t.access_token);
  t.expires_at = exp ? Clock::time_point(std::chrono::seconds(*exp)) : issued + std::chrono::seconds(t.expires_in);
  auto by_ratio = issued + std::chrono::milliseconds(t.expires_in * 800);
  t.refresh_at = std::min(t.expires_at - std::chrono::seconds(60), by_ratio);
  return t;
}

struct TokenProvider::Impl {
  ClientCredentials creds;
  http::Timeouts timeouts;
  std::mutex mutex;  // held during a refresh: concurrent callers wait for that one request
  std::optional<Token> token;
  std::optional<Error> last_error;
  Clock::time_point retry_not_before{};
  std::chrono::milliseconds backoff{0};

  Result<Token> refresh_locked() {
    auto now = Clock::now();
    if (last_error && now < retry_not_before) return std::unexpected(*last_error);
    // A connection of its own each time: a token lasts minutes, and a connection kept open for
    // the next one would hold a socket (and a thread of the token server) per tenant meanwhile.
    auto http = http::Client::create(creds.base_url, timeouts);
    if (!http) return std::unexpected(http.error());
    auto t = request_token(**http, creds);
    static auto& refreshes = metrics::registry().counter("infinity_sms_token_requests_total",
                                                        "Infinity token requests", {{"outcome", "ok"}});
    static auto& failures = metrics::registry().counter("infinity_sms_token_requests_total",
                                                       "Infinity token requests", {{"outcome", "failed"}});
    (t ? refreshes : failures).inc();
    if (!t) {
      backoff = std::clamp(backoff * 2, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000));
      retry_not_before = now + backoff;
      last_error = t.error();
      spdlog::warn("Infinity token: {} (next try in {} ms)", t.error().message, backoff.count());
      return t;
    }
    backoff = std::chrono::milliseconds(0);
    last_error.reset();
    token = *t;
    spdlog::debug("Infinity token obtained, expires in {} s", t->expires_in);
    return t;
  }
};

TokenProvider::TokenProvider(ClientCredentials creds, http::Timeouts timeouts) : impl_(std::make_unique<Impl>()) {
  impl_->creds = std::move(creds);
  impl_->timeouts = timeouts;
}

TokenProvider::~TokenProvider() = default;

Result<Token> TokenProvider::get() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->token && Clock::now() < impl_->token->refresh_at) return *impl_->token;
  return impl_->refresh_locked();
}

Result<Token> TokenProvider::refresh_after_401(const std::string& stale) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->token && impl_->token->access_token != stale) return *impl_->token;  // someone refreshed already
  impl_->token.reset();
  return impl_->refresh_locked();
}

std::optional<Token> TokenProvider::cached() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->token;
}

Result<http::Response> with_bearer(TokenProvider& tokens,
                                   const std::function<Result<http::Response>(const std::string& token)>& call) {
  auto token = tokens.get();
  if (!token) return std::unexpected(token.error());
  auto r = call(token->access_token);
  if (!r || r->status != 401) return r;
  token = tokens.refresh_after_401(token->access_token);
  if (!token) return std::unexpected(token.error());
  return call(token->access_token);
}

}  // namespace sms::infinity
