// Infinity attachments (infinity-api.md §5): a signed upload URI asked for with the bearer token
// (documented), then the upload to it (inferred: see upload_to_session); a signed download URI
// asked for the same way (documented), handed on as a link (inferred: see download_url).
#pragma once

#include <string>

#include "core/result.h"
#include "http/client.h"
#include "infinity/token_provider.h"

namespace sms::infinity {

struct Attachment {
  std::string filename;  // e.g. "MM123-1.jpeg"
  std::string mimetype;  // e.g. "image/jpeg"
  std::string bytes;
};

inline constexpr std::string_view kSignedUploadUriPath = "/api/digital/messaging/v1/attachments/signed-upload-uri";
inline constexpr std::string_view kSignedDownloadUriPath = "/api/digital/messaging/v1/attachments/signed-download-uri";

// POST kSignedUploadUriPath {integrationId, filename, mimetype, size} with a bearer token (a 401
// refreshes it once) → the answer's uploadSignedUri (relative, e.g.
// /api/digital/messaging/v1/storage/upload-sessions/{uuid}?hmac=...&expiresAt=...). Non-2xx
// answers are classified like Send Message's (classify_error); a 2xx without the URI is permanent.
Result<std::string> request_upload_uri(http::Client& infinity, TokenProvider& tokens, const std::string& integration_id,
                                       const Attachment& attachment);

// The upload itself, and the one place that holds what is INFERRED about it (the documentation
// says neither the method, nor the body, nor how the attachmentId comes back): by analogy with
// AXP's signed media API, POST multipart/form-data with the file in the field "mediaFile", no
// bearer token (the URI carries its own hmac and expiresAt), answered 2xx (AXP: 202) with JSON
// {"attachmentId": "..."}. `signed_uri` is relative to the Infinity host (`infinity`'s base URL)
// or absolute. Change this function, and the fake in tests/fakes/fake_infinity.cpp, once a live
// tenant shows the real exchange.
Result<std::string> upload_to_session(http::Client& infinity, const std::string& signed_uri, const Attachment& attachment);

// POST kSignedDownloadUriPath {attachmentId, integrationId} with a bearer token (a 401 refreshes
// it once) → the answer's downloadSignedUri (relative, e.g.
// /api/digital/messaging/v1/storage/download-sessions/{attachmentId}?hmac=...&expiresAt=...).
// Errors as request_upload_uri's.
Result<std::string> request_download_uri(http::Client& infinity, TokenProvider& tokens, const std::string& integration_id,
                                         const std::string& attachment_id);

// The link to an attachment that Twilio fetches as a MediaUrl, or the customer opens from a text:
// the one place that holds what is INFERRED about it (the documentation only shows a relative
// example): that the signed URI needs no bearer token (it carries its own hmac and expiresAt), so
// anyone holding it may fetch the attachment until it expires; a relative one is on the Infinity
// host, `base_url` (avaya.host). An absolute http(s) URI is used as it is; anything else is a
// permanent error.
Result<std::string> download_url(const std::string& base_url, const std::string& signed_uri);

}  // namespace sms::infinity
