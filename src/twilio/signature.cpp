// Twilio request signatures (X-Twilio-Signature): computing and verifying them.
#include "twilio/signature.h"

#include <algorithm>
#include <vector>

#include "core/crypto.h"
#include "core/form.h"
#include "core/url.h"

namespace sms::twilio {
namespace {

// The URL with its port removed if it has one, else with the scheme's default port added
// (userinfo and case as written); the URL itself when it does not parse. Twilio signs the URL as
// configured in its console, so the one as written usually matches first.
std::string other_port(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return std::string(url);
  auto scheme_end = url.find("://") + 3;
  auto authority_end = url.find_first_of("/?#", scheme_end);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  auto rest = std::string(url.substr(authority_end));
  auto prefix = std::string(url.substr(0, scheme_end));
  auto authority = std::string(url.substr(scheme_end, authority_end - scheme_end));
  auto at = authority.rfind('@');
  auto userinfo = at == std::string::npos ? "" : authority.substr(0, at + 1);
  auto hostport = at == std::string::npos ? authority : authority.substr(at + 1);
  auto colon = hostport.rfind(':');
  bool port_written = colon != std::string::npos && hostport.find(']', colon) == std::string::npos;
  // A written port is kept exactly as written ("0443" stays "0443"): that is what was signed.
  if (port_written) return prefix + userinfo + hostport.substr(0, colon) + rest;
  return prefix + userinfo + hostport + ":" + std::to_string(parsed->effective_port()) + rest;
}

std::string query_param(std::string_view url, std::string_view name) {
  auto q = url.find('?');
  if (q == std::string_view::npos) return {};
  auto query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  return form::value(form::parse(query), name);
}

// What Twilio signs after the URL: each name followed by its value, sorted by name and value in
// byte order, repeated values once.
std::string signed_params(const form::Fields& params) {
  std::vector<std::pair<std::string_view, std::string_view>> sorted(params.begin(), params.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string data;
  for (const auto& [k, v] : sorted) {
    data += k;
    data += v;
  }
  return data;
}

std::string sign(std::string_view auth_token, std::string_view url, std::string_view params) {
  std::string data(url);
  data += params;
  return crypto::base64_encode(crypto::hmac_sha1(auth_token, data));
}

}  // namespace

std::string compute_signature(std::string_view auth_token, std::string_view url, const form::Fields& params) {
  return sign(auth_token, url, signed_params(params));
}

bool validate_signature(const std::vector<std::string>& auth_tokens, std::string_view signature,
                        std::string_view url, const form::Fields& params, std::string_view raw_body) {
  if (signature.empty()) return false;
  auto body_hash = query_param(url, "bodySHA256");
  if (!body_hash.empty()) {
    // JSON-body variant: the URL alone is signed, and the body must hash to bodySHA256.
    if (!crypto::constant_time_equal(crypto::hex_encode(crypto::sha256(raw_body)), body_hash)) return false;
  }
  // The JSON-body variant signs the URL alone. The parameters are sorted once for every candidate.
  const auto params_data = body_hash.empty() ? signed_params(params) : std::string();
  // Stops at the first match: which token or URL form matched is no secret, and each candidate
  // costs an HMAC. The comparison itself stays constant-time.
  auto matches = [&](std::string_view candidate) {
    for (const auto& token : auth_tokens)
      if (crypto::constant_time_equal(sign(token, candidate, params_data), signature)) return true;
    return false;
  };
  if (matches(url)) return true;
  auto other = other_port(url);
  return other != url && matches(other);
}

}  // namespace sms::twilio
