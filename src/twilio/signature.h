// X-Twilio-Signature: HMAC-SHA1 over URL + sorted params, base64 (twilio-api.md §4, §5).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/form.h"

namespace sms::twilio {

// The signature for exactly this URL and these form fields: names sorted by byte order; a
// repeated name's values de-duplicated and sorted; name+value appended to the URL.
std::string compute_signature(std::string_view auth_token, std::string_view url,
                              const form::Fields& params);

// True when `signature` matches the URL with any port removed, or with the port (as written,
// else :443/:80 by scheme), as Twilio's helpers accept. When the URL has a bodySHA256 query
// parameter, params must be empty and `raw_body` must hash to it (JSON-body variant).
// Comparison is constant-time. Tries each token in `auth_tokens` (rotation: current, previous).
bool validate_signature(const std::vector<std::string>& auth_tokens, std::string_view signature,
                        std::string_view url, const form::Fields& params,
                        std::string_view raw_body = {});

}  // namespace sms::twilio
