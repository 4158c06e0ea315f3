// Infinity Send Message client (infinity-api.md §3, §6).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "http/client.h"
#include "infinity/attachments.h"
#include "infinity/token_provider.h"

namespace sms::infinity {

// Default path, as the sample uses; {accountId} is substituted.
inline constexpr std::string_view kSampleSendPath =
    "/api/digital/messaging/v1/accounts/{accountId}/messages";
// The documented path, tried once when the configured one answers 404.
inline constexpr std::string_view kDocumentedSendPath = "/api/digital/messaging/v1/messages";

// Maps a non-2xx Send Message answer to an Error. RFC 7807 bodies give provider_code (title),
// message (detail and violations) and more_info (type). 400/403/404/422 → permanent; 401 → auth;
// 429, 5xx → retryable (retry_after from the header).
Error classify_error(const http::Response& response);

struct SendOptions {
  std::string base_url;         // normalised avaya.host
  std::string account_id;
  std::string send_path;        // avaya.sendMessagePath (may contain {accountId})
};

class Client {
 public:
  Client(SendOptions options, std::shared_ptr<TokenProvider> tokens, http::Timeouts timeouts = {});
  ~Client();

  // POSTs one AsyncMessage with a bearer token. A 401 refreshes the token once and retries once.
  // A 404 on the configured path falls back once to kDocumentedSendPath (and sticks to it).
  // 2xx → the answer's top-level messageId ("" when it has none, or is not JSON).
  Result<std::string> send_message(const std::string& message_json);
  // Uploads one attachment (infinity/attachments.h) on the same connection and token; returns
  // its attachmentId, for a message's attachmentIds.
  Result<std::string> upload_attachment(const Attachment& attachment, const std::string& integration_id);
  // The link to an attachment (an agent's, for Twilio to fetch as a MediaUrl): its signed download
  // URI asked for on the same connection and token, made a URL (infinity/attachments.h).
  Result<std::string> attachment_link(const std::string& attachment_id, const std::string& integration_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sms::infinity
