// The Infinity Send Message client, and how its error answers map to Errors.
#include "infinity/client.h"

#include <spdlog/spdlog.h>

namespace sms::infinity {

Error classify_error(const http::Response& r) {
  Error e;
  e.http_status = r.status;
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  std::string detail;
  if (body.is_object()) {
    if (body.contains("title") && body["title"].is_string()) e.provider_code = body["title"];
    if (body.contains("type") && body["type"].is_string()) e.more_info = body["type"];
    if (body.contains("detail") && body["detail"].is_string()) detail = body["detail"];
    if (body.contains("violations") && body["violations"].is_array())
      for (const auto& v : body["violations"])
        if (v.is_object())
          detail += (detail.empty() ? "" : "; ") + v.value("field", std::string("?")) + ": " + v.value("message", std::string());
  }
  e.message = "Infinity answered HTTP " + std::to_string(r.status) +
              (e.provider_code.empty() ? "" : " " + e.provider_code) + (detail.empty() ? "" : ": " + detail);
  if (r.status == 401) e.kind = ErrorKind::auth;
  else if (r.status == 429 || r.status >= 500) e.kind = ErrorKind::retryable;
  else e.kind = ErrorKind::permanent;
  if (e.kind == ErrorKind::retryable) e.retry_after = http::parse_retry_after(r.header("Retry-After"));
  return e;
}

namespace {

// The answer's top-level "messageId" string, "" when there is none or the answer is not JSON.
// Infinity echoes the whole message back; reading it as events instead of building it as a
// document saves most of the cost of parsing it.
std::string top_level_message_id(const std::string& body) {
  struct Reader : nlohmann::json_sax<nlohmann::json> {
    int depth = 0;
    bool wanted = false;  // the value being read is the top-level messageId
    std::string id;
    bool value() {
      wanted = false;
      return true;
    }
    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool string(string_t& s) override {
      if (wanted) id = s;
      return value();
    }
    bool key(string_t& k) override {
      wanted = depth == 1 && k == "messageId";
      return true;
    }
    bool start_object(std::size_t) override { return nest(1); }
    bool end_object() override { return nest(-1); }
    bool start_array(std::size_t) override { return nest(1); }
    bool end_array() override { return nest(-1); }
    bool nest(int by) {
      depth += by;
      wanted = false;
      return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  } reader;
  return nlohmann::json::sax_parse(body, &reader) ? reader.id : "";
}

}  // namespace

struct Client::Impl {
  SendOptions options;
  std::shared_ptr<TokenProvider> tokens;
  http::Timeouts timeouts;
  std::unique_ptr<http::Client> http;
  bool use_documented_path = false;

  std::string path() const {
    if (use_documented_path) return std::string(kDocumentedSendPath);
    auto p = options.send_path.empty() ? std::string(kSampleSendPath) : options.send_path;
    if (auto at = p.find("{accountId}"); at != std::string::npos) p.replace(at, 11, options.account_id);
    return p;
  }

  Result<http::Client*> connection();  // the keep-alive connection, made at first use

  Result<http::Response> post(const std::string& body, const std::string& token) {
    http::Request req{"POST", path(), {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}}, body,
                      "application/json"};
    return http->send(req);
  }
};

Client::Client(SendOptions options, std::shared_ptr<TokenProvider> tokens, http::Timeouts timeouts)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->tokens = std::move(tokens);
  impl_->timeouts = timeouts;
}

Client::~Client() = default;

Result<http::Client*> Client::Impl::connection() {
  if (!http) {
    auto c = http::Client::create(options.base_url, timeouts);
    if (!c) return std::unexpected(c.error());
    http = std::move(*c);
  }
  return http.get();
}

Result<std::string> Client::send_message(const std::string& body) {
  if (auto c = impl_->connection(); !c) return std::unexpected(c.error());
  auto post = [&](const std::string& token) { return impl_->post(body, token); };
  auto r = with_bearer(*impl_->tokens, post);
  if (r && r->status == 404 && !impl_->use_documented_path) {
    spdlog::warn("Infinity answered 404 on {}; using the documented path {} from now on", impl_->path(),
                 kDocumentedSendPath);
    impl_->use_documented_path = true;
    r = with_bearer(*impl_->tokens, post);
  }
  if (!r) return std::unexpected(r.error());
  if (r->status < 200 || r->status >= 300) return std::unexpected(classify_error(*r));
  return top_level_message_id(r->body);
}

Result<std::string> Client::upload_attachment(const Attachment& attachment, const std::string& integration_id) {
  auto c = impl_->connection();
  if (!c) return std::unexpected(c.error());
  auto uri = request_upload_uri(**c, *impl_->tokens, integration_id, attachment);
  if (!uri) return std::unexpected(uri.error());
  return upload_to_session(**c, *uri, attachment);
}

Result<std::string> Client::attachment_link(const std::string& attachment_id, const std::string& integration_id) {
  auto c = impl_->connection();
  if (!c) return std::unexpected(c.error());
  auto uri = request_download_uri(**c, *impl_->tokens, integration_id, attachment_id);
  if (!uri) return std::unexpected(uri.error());
  return download_url(impl_->options.base_url, *uri);
}

}  // namespace sms::infinity
