// x-avaya-event-signature: "sha256=" + base64(HMAC-SHA256(webhookSecret, body)) (infinity-api.md §7).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sms::infinity {

std::string compute_signature(std::string_view secret, std::string_view body);

enum class SignatureCheck { ok, missing, malformed, mismatch };

// Checks the header against the raw body first, then against the compact re-serialisation the
// sample signs (JSON.stringify of the parsed body: no whitespace, key order kept, UTF-8 raw,
// '/' unescaped). Tries each secret (rotation). Constant-time comparisons. A header without the
// "sha256=" prefix or with an empty digest is malformed; an absent or empty one is missing.
SignatureCheck check_signature(const std::vector<std::string>& secrets, std::string_view header,
                               std::string_view raw_body);

// JSON.stringify-compatible compact form of a JSON document; "" if it does not parse or is nested
// deeper than kMaxJsonDepth (the serialiser recurses per level).
std::string compact_json(std::string_view raw_body);

}  // namespace sms::infinity
