// Decoding (not verifying) a JWT's claims: we only read exp and a few ids from our own token.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace sms::jwt {

// The payload (second segment) as JSON; nullopt when the token is not three base64url segments
// or the payload is not a JSON object.
std::optional<nlohmann::json> claims(std::string_view token);

// The "exp" claim in seconds since the epoch, when present and numeric.
std::optional<std::int64_t> expiry(std::string_view token);

}  // namespace sms::jwt
