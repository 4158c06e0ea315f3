// Infinity attachments: the signed upload URI and the upload session; the signed download URI and
// the link made of it.
#include "infinity/attachments.h"

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/url.h"
#include "infinity/client.h"

namespace sms::infinity {
namespace {

// A string field of a 2xx JSON answer, or a permanent error naming what was missing.
Result<std::string> field_of(const http::Response& r, const char* field, const char* what) {
  if (r.status < 200 || r.status >= 300) return std::unexpected(classify_error(r));
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains(field) || !body[field].is_string() || body[field].get<std::string>().empty())
    return fail(ErrorKind::permanent, std::string("Infinity answered ") + what + " with HTTP " + std::to_string(r.status) +
                                          " but no " + field);
  return body[field].get<std::string>();
}

// POSTs `body` to `path` with a bearer token (a 401 refreshes it once): the answer's `field`.
Result<std::string> signed_uri(http::Client& infinity, TokenProvider& tokens, std::string_view path,
                               const nlohmann::json& body, const char* field, const char* what) {
  auto r = with_bearer(tokens, [&](const std::string& token) {
    return infinity.send(http::Request{"POST", std::string(path),
                                       {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}}, body.dump(),
                                       "application/json"});
  });
  if (!r) return std::unexpected(r.error());
  return field_of(*r, field, what);
}

}  // namespace

Result<std::string> request_upload_uri(http::Client& infinity, TokenProvider& tokens, const std::string& integration_id,
                                       const Attachment& a) {
  nlohmann::json body = {{"integrationId", integration_id}, {"filename", a.filename}, {"mimetype", a.mimetype},
                         {"size", a.bytes.size()}};
  return signed_uri(infinity, tokens, kSignedUploadUriPath, body, "uploadSignedUri", "the signed upload URI request");
}

Result<std::string> request_download_uri(http::Client& infinity, TokenProvider& tokens, const std::string& integration_id,
                                         const std::string& attachment_id) {
  nlohmann::json body = {{"attachmentId", attachment_id}, {"integrationId", integration_id}};
  return signed_uri(infinity, tokens, kSignedDownloadUriPath, body, "downloadSignedUri", "the signed download URI request");
}

Result<std::string> download_url(const std::string& base_url, const std::string& uri) {
  if (uri.starts_with("/") && !uri.starts_with("//")) return base_url + uri;
  if (parse_url(uri)) return uri;
  return fail(ErrorKind::permanent, "Infinity's signed download URI is neither a path nor an http(s) URL");
}

Result<std::string> upload_to_session(http::Client& infinity, const std::string& signed_uri, const Attachment& a) {
  auto boundary = "infinity-sms-" + crypto::random_hex(12);
  auto head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"mediaFile\"; filename=\"" + a.filename +
              "\"\r\nContent-Type: " + a.mimetype + "\r\n\r\n";
  auto tail = "\r\n--" + boundary + "--\r\n";
  std::string body;  // one allocation: the bytes are copied once
  body.reserve(head.size() + a.bytes.size() + tail.size());
  body.append(head).append(a.bytes).append(tail);
  http::Request req{"POST", signed_uri, {{"Accept", "application/json"}}, std::move(body),
                    "multipart/form-data; boundary=" + boundary};
  http::Client* to = &infinity;
  std::unique_ptr<http::Client> other;  // an absolute URI on another host
  if (!signed_uri.starts_with("/")) {
    auto u = parse_url(signed_uri);
    if (!u) return fail(ErrorKind::permanent, "Infinity's signed upload URI is neither a path nor an http(s) URL");
    auto c = http::Client::create(u->origin(), http::Timeouts{});
    if (!c) return std::unexpected(c.error());
    other = std::move(*c);
    to = other.get();
    req.path = u->path + (u->query.empty() ? "" : "?" + u->query);
  }
  auto r = to->send(req);
  if (!r) return std::unexpected(r.error());
  return field_of(*r, "attachmentId", "the upload");
}

}  // namespace sms::infinity
