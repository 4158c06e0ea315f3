// Twilio Messages API client (twilio-api.md §1) with errors classified for the retry policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "http/client.h"

namespace sms::twilio {

struct Credentials {
  std::string account_sid;     // always in the URL path
  std::string auth_token;      // used when no API key
  std::string api_key_sid;     // preferred when set (with api_key_secret)
  std::string api_key_secret;
};

struct OutgoingSms {
  std::string from;
  std::string to;
  std::string body;                     // left out when "" beside media
  std::vector<std::string> media_urls;  // repeated MediaUrl fields
  std::string status_callback;          // "" for none
};

struct Media {
  std::string bytes;
  std::string content_type;  // as Twilio answered it
};

struct SentMessage {
  std::string sid;
  std::string status;  // "queued", "accepted", ...
  nlohmann::json raw;  // the whole resource
};

// Maps an HTTP answer from Twilio to an Error: 429 or code 20429 → retryable (retry_after from
// the header); 401 or 20003 → auth; 5xx → retryable; other 4xx (21211, 21408, 21610, 21614,
// ...) → permanent. provider_code, message and more_info come from the JSON body when it has
// them; a non-JSON body is described by its status alone.
Error classify_error(const http::Response& response);

// Twilio's answers to a send that refuse an MMS for its media, where the text alone may go: 21612
// (the To and From numbers cannot carry it, e.g. MMS to that country or network) and 21621 (the
// From number is not MMS-enabled). Media refused later, in a status callback (30011: the handset
// does not take MMS; 30019: too large for the carrier), come after Twilio accepted the message.
bool refuses_mms(const Error& error);

class Client {
 public:
  Client(std::string api_base_url, Credentials credentials, http::Timeouts timeouts = {});
  ~Client();
  // POST /2010-04-01/Accounts/{sid}/Messages.json as a form; 201 → SentMessage.
  // Missing credentials → config error without contacting Twilio.
  Result<SentMessage> send(const OutgoingSms& sms);
  // GETs an inbound MMS's media (a MediaUrlN) with the account's Basic credentials, only from
  // Twilio's media hosts (twilio/media.h: anything else is a permanent error, nothing is
  // requested) and at most `max_bytes` of it (permanent error above). A redirect (what Twilio
  // answers when the account enforces HTTP auth on media) is followed once, to https only and
  // without the credentials. 200 → Media; any other status is classified like a send's (404:
  // permanent, 5xx: retryable).
  Result<Media> fetch_media(const std::string& url, std::size_t max_bytes);
  // GET /2010-04-01/Accounts/{sid}.json (credential check, used by doctor).
  Result<nlohmann::json> fetch_account();
  // GET /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json: the account's numbers with their
  // sms_url and sms_method (first 1,000; used by doctor).
  Result<nlohmann::json> list_numbers();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sms::twilio
