// The Twilio REST client (send, account, numbers) and how its error answers map to Errors.
#include "twilio/client.h"

#include "core/crypto.h"
#include "core/form.h"
#include "core/url.h"
#include "twilio/media.h"

namespace sms::twilio {

Error classify_error(const http::Response& r) {
  Error e;
  e.http_status = r.status;
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  std::string message;
  if (body.is_object()) {
    if (body.contains("code") && body["code"].is_number_integer()) e.provider_code = std::to_string(body["code"].get<int>());
    if (body.contains("message") && body["message"].is_string()) message = body["message"].get<std::string>();
    if (body.contains("more_info") && body["more_info"].is_string()) e.more_info = body["more_info"].get<std::string>();
  }
  e.message = "Twilio answered HTTP " + std::to_string(r.status) + (e.provider_code.empty() ? "" : " code " + e.provider_code) +
              (message.empty() ? "" : ": " + message);
  if (r.status == 429 || e.provider_code == "20429") {
    e.kind = ErrorKind::retryable;
    e.retry_after = http::parse_retry_after(r.header("Retry-After"));
  } else if (r.status == 401 || e.provider_code == "20003") {
    e.kind = ErrorKind::auth;
  } else if (r.status >= 500) {
    e.kind = ErrorKind::retryable;
  } else {
    e.kind = ErrorKind::permanent;  // 21211, 21408, 21610, 21614 and every other 4xx
  }
  return e;
}

bool refuses_mms(const Error& e) { return e.provider_code == "21612" || e.provider_code == "21621"; }

struct Client::Impl {
  std::string base_url;
  Credentials creds;
  http::Timeouts timeouts;
  std::unique_ptr<http::Client> http;

  // With `to` given, to that client (another of Twilio's hosts) instead of the API base URL's.
  Result<http::Response> call(http::Request request, http::Client* to = nullptr) {
    bool key = !creds.api_key_sid.empty() && !creds.api_key_secret.empty();
    if (creds.account_sid.empty() || (!key && creds.auth_token.empty()))
      return fail(ErrorKind::config,
                  "Twilio credentials are missing: set twilio.account.sid and twilio.account.authToken "
                  "(or twilio.apiKey.sid and twilio.apiKey.secret)");
    if (!http) {
      auto c = http::Client::create(base_url, timeouts);
      if (!c) return std::unexpected(c.error());
      http = std::move(*c);
    }
    auto user = key ? creds.api_key_sid : creds.account_sid;
    auto pass = key ? creds.api_key_secret : creds.auth_token;
    request.headers.emplace("Authorization", "Basic " + crypto::base64_encode(user + ":" + pass));
    request.headers.emplace("Accept", "application/json");
    return (to ? *to : *http).send(request);
  }
  std::string account_path() const { return "/2010-04-01/Accounts/" + form::url_encode(creds.account_sid); }

  // A GET whose 200 answer is JSON; any other status is classified like a send's.
  Result<nlohmann::json> get_json(const std::string& path) {
    auto r = call(http::Request{"GET", path, {}, "", ""});
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return std::unexpected(classify_error(*r));
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    return j.is_discarded() ? nlohmann::json::object() : j;
  }
};

Client::Client(std::string api_base_url, Credentials credentials, http::Timeouts timeouts)
    : impl_(std::make_unique<Impl>(Impl{std::move(api_base_url), std::move(credentials), timeouts, nullptr})) {}

Client::~Client() = default;

Result<SentMessage> Client::send(const OutgoingSms& sms) {
  form::Fields f{{"To", sms.to}, {"From", sms.from}};
  if (!sms.body.empty() || sms.media_urls.empty()) f.emplace_back("Body", sms.body);
  for (const auto& m : sms.media_urls) f.emplace_back("MediaUrl", m);
  if (!sms.status_callback.empty()) f.emplace_back("StatusCallback", sms.status_callback);
  http::Request req{"POST", impl_->account_path() + "/Messages.json", {}, form::encode(f),
                    "application/x-www-form-urlencoded"};
  auto r = impl_->call(std::move(req));
  if (!r) return std::unexpected(r.error());
  if (r->status < 200 || r->status >= 300) return std::unexpected(classify_error(*r));
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("sid") || !j["sid"].is_string())
    return fail(ErrorKind::retryable, "Twilio answered " + std::to_string(r->status) + " without a message sid");
  return SentMessage{j["sid"].get<std::string>(), j.value("status", ""), j};
}

Result<Media> Client::fetch_media(const std::string& url, std::size_t max_bytes) {
  if (!is_media_url(url, impl_->base_url))
    return fail(ErrorKind::permanent, "not a Twilio media URL (only api.twilio.com and twilio.apiBaseUrl are fetched from)");
  auto u = parse_url(url);
  auto base = parse_url(impl_->base_url);
  std::unique_ptr<http::Client> other;  // api.twilio.com while twilio.apiBaseUrl names another host
  if (!base || u->origin() != base->origin()) {
    auto c = http::Client::create(u->origin(), impl_->timeouts);
    if (!c) return std::unexpected(c.error());
    other = std::move(*c);
  }
  http::Request req{"GET", u->path + (u->query.empty() ? "" : "?" + u->query), {}, "", ""};
  req.max_body_bytes = max_bytes;
  auto r = impl_->call(req, other.get());
  if (r && (r->status == 301 || r->status == 302 || r->status == 303 || r->status == 307 || r->status == 308)) {
    // An account that enforces HTTP auth on media is answered with a redirect to a signed,
    // short-lived URL (mms.twiliocdn.com): followed once, without our credentials, over https
    // (plain http only from a loopback media host to loopback, i.e. in tests).
    auto to = parse_url(r->header("Location"));
    if (!to || !(to->scheme == "https" || (u->is_loopback() && to->is_loopback())) || !to->userinfo.empty())
      return fail(ErrorKind::permanent, "Twilio redirected the media to a URL that is not https");
    auto cdn = http::Client::create(to->origin(), impl_->timeouts);
    if (!cdn) return std::unexpected(cdn.error());
    req.path = to->path.empty() ? "/" : to->path;
    if (!to->query.empty()) req.path += "?" + to->query;
    r = (*cdn)->send(req);
  }
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return std::unexpected(classify_error(*r));
  return Media{std::move(r->body), r->header("Content-Type")};
}

Result<nlohmann::json> Client::fetch_account() { return impl_->get_json(impl_->account_path() + ".json"); }

Result<nlohmann::json> Client::list_numbers() {
  auto page = impl_->get_json(impl_->account_path() + "/IncomingPhoneNumbers.json?PageSize=1000");
  if (!page) return page;
  auto numbers = page->value("incoming_phone_numbers", nlohmann::json::array());
  return numbers.is_array() ? numbers : nlohmann::json::array();
}

}  // namespace sms::twilio
