// Reading a JWT's claims and its exp without verifying the token.
#include "core/jwt.h"

#include "core/crypto.h"

namespace sms::jwt {

std::optional<nlohmann::json> claims(std::string_view token) {
  auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  auto payload = crypto::base64url_decode(token.substr(first + 1, second - first - 1));
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::optional<std::int64_t> expiry(std::string_view token) {
  auto c = claims(token);
  if (!c || !c->contains("exp") || !(*c)["exp"].is_number()) return std::nullopt;
  return (*c)["exp"].get<std::int64_t>();
}

}  // namespace sms::jwt
