#include "twilio/signature.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/crypto.h"
#include "core/form.h"
#include "core/url.h"

namespace sms::twilio {
namespace {

// The URL as written, then the same URL with its port removed if it has one, else with the
// scheme's default port added (userinfo and case as written). Twilio signs the URL as configured
// in its console, so the one as written usually matches first.
std::pair<std::string, std::string> port_variants(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return {std::string(url), std::string(url)};
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
  if (port_written) hostport = hostport.substr(0, colon);
  // A written port is kept exactly as written ("0443" stays "0443"): that is what was signed.
  if (port_written) return {std::string(url), prefix + userinfo + hostport + rest};
  return {std::string(url), prefix + userinfo + hostport + ":" + std::to_string(parsed->effective_port()) + rest};
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
  std::map<std::string, std::set<std::string>> sorted;
  for (const auto& [k, v] : params) sorted[k].insert(v);
  std::string data;
  for (const auto& [k, values] : sorted)
    for (const auto& v : values) data += k + v;
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
  auto [as_written, other_port] = port_variants(url);
  // Stops at the first match: which token or URL form matched is no secret, and each candidate
  // costs an HMAC. The comparison itself stays constant-time.
  for (const auto& token : auth_tokens)
    for (const auto* candidate : {&as_written, &other_port})
      if (crypto::constant_time_equal(sign(token, *candidate, params_data), signature)) return true;
  return false;
}

}  // namespace sms::twilio
