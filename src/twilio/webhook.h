// Twilio webhooks as values: the inbound-SMS form and the status callback form.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/form.h"
#include "core/result.h"

namespace sms::twilio {

struct InboundSms {
  std::string message_sid;  // MessageSid (SM/MM...)
  std::string account_sid;  // AccountSid
  std::string from;         // end user
  std::string to;           // our Twilio number
  std::string body;         // may be empty when media is present
  int num_media = 0;
  int num_segments = 0;
  std::vector<std::string> media_urls;  // MediaUrl0..N-1
  std::vector<std::string> media_content_types;  // MediaContentType0..N-1, beside media_urls ("" when absent)
  std::string opt_out_type;             // OptOutType (STOP, START, HELP; Advanced Opt-Out) or ""
  // Non-empty geo fields, keys as Infinity contextParameters: fromCity, fromState, fromZip,
  // fromCountry, toCity, toState, toZip, toCountry (values at most 256 characters).
  std::map<std::string, std::string> geo;
};

// Validates and extracts: From, To and MessageSid required; Body may be empty only when
// NumMedia > 0. Errors are invalid_input with a message naming the field.
Result<InboundSms> parse_inbound(const form::Fields& fields);

struct StatusCallback {
  std::string message_sid;
  std::string status;      // MessageStatus (else SmsStatus), lowercased
  std::string error_code;  // ErrorCode or ""
  std::string from, to;    // From (our number) and To (the end user), "" when absent
};
Result<StatusCallback> parse_status(const form::Fields& fields);

// The empty TwiML answer: <?xml version="1.0" encoding="UTF-8"?><Response/>
inline constexpr std::string_view kEmptyTwiml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

// A fresh MessageSid: "SM" + 32 lowercase hex characters.
std::string new_message_sid();

}  // namespace sms::twilio
