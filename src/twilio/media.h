// Where an inbound MMS's media may be fetched from: Twilio's own media hosts only, so that a
// forged webhook cannot make the relay fetch (with the account's credentials) from anywhere else.
#pragma once

#include <string>
#include <string_view>

namespace sms::twilio {

// True for a URL of a message's media on api.twilio.com (https) or on the configured
// twilio.apiBaseUrl (same scheme, host and port), with a path under /2010-04-01/Accounts/ and no
// user info; false for anything else (another host or port, plain http to api.twilio.com, a
// relative or malformed URL).
bool is_media_url(std::string_view url, std::string_view api_base_url);

// The part of a media content type that is compared: "image/jpeg" of "Image/JPEG; q=1".
std::string media_type(std::string_view content_type);

}  // namespace sms::twilio
