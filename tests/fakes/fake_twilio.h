// Fake Twilio REST API: POST /2010-04-01/Accounts/{sid}/Messages.json answers 201 with a fresh
// "SM..." sid (or, with refuse_mms on, 400 code 21612 when it carries a MediaUrl), GET
// /2010-04-01/Accounts/{sid}.json answers the account. Basic auth is checked against the
// configured SID/token or API key; wrong credentials answer 401 code 20003.
#pragma once

#include <nlohmann/json.hpp>

#include "fakes/fake_upstream.h"

namespace fakes {

class FakeTwilio : public FakeUpstream {
 public:
  FakeTwilio(std::string account_sid = "AC00000000000000000000000000000001",
             std::string auth_token = "twilio-test-token",
             std::string api_key_sid = "", std::string api_key_secret = "");

  const std::string& account_sid() const { return account_sid_; }
  const std::string& auth_token() const { return auth_token_; }

  struct Sent {
    std::string sid;
    std::multimap<std::string, std::string> form;  // decoded form fields
    std::string basic_user;                        // user part of the Basic credentials
    std::chrono::steady_clock::time_point at;      // when it was accepted
    std::string field(const std::string& name) const;  // "" when absent
    std::vector<std::string> fields(const std::string& name) const;  // a repeated key's values, in order
  };
  // The times the messages sent from `from` were accepted, in order.
  std::vector<std::chrono::steady_clock::time_point> sent_from(const std::string& from) const;
  // Messages accepted (201), in order.
  std::vector<Sent> messages() const;

  // Makes the next `times` sends fail with a Twilio error body {code,message,more_info,status}.
  void fail_with_code(int http_status, int code, const std::string& message, int times = 1);
  // While on, a send with a MediaUrl is refused as Twilio refuses MMS to a number or country that
  // cannot take it: HTTP 400 code 21612 (recorded as a request, not as a message sent).
  void refuse_mms(bool on);
  // Serves `bytes` as `content_type` at GET /2010-04-01/Accounts/{sid}/Messages/{message_sid}/
  // Media/{media_sid} behind the account's Basic auth (401 otherwise), as Twilio keeps an MMS's
  // media; returns its URL (what a webhook's MediaUrlN carries). Requests are recorded.
  std::string add_media(const std::string& message_sid, const std::string& media_sid, std::string bytes,
                        std::string content_type);
  // As add_media, but the media URL answers (after Basic auth) 307 to a signed, short-lived URL
  // on this server, /media-cdn/..., which serves it without credentials: what Twilio does
  // (mms.twiliocdn.com) for an account that enforces HTTP auth on media.
  std::string add_redirected_media(const std::string& message_sid, const std::string& media_sid, std::string bytes,
                                   std::string content_type);
  // What GET .../IncomingPhoneNumbers.json lists (objects with phone_number, sms_url, sms_method).
  void set_numbers(nlohmann::json numbers);

 private:
  std::string account_sid_, auth_token_, api_key_sid_, api_key_secret_;
  nlohmann::json numbers_ = nlohmann::json::array();
  mutable std::mutex sent_mutex_;
  std::vector<Sent> sent_;
  std::map<std::string, std::pair<std::string, std::string>> media_;  // path -> bytes, content type
  std::map<std::string, std::string> redirects_;                       // media path -> /media-cdn/ path
  int next_sid_ = 1;
  bool refuse_mms_ = false;
};

}  // namespace fakes
