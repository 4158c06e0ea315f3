// x-avaya-event-signature: computing and checking it, and the JSON.stringify-style body.
#include "infinity/signature.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "core/crypto.h"
#include "core/json_input.h"

namespace sms::infinity {
namespace {

constexpr std::string_view kPrefix = "sha256=";

// JSON.stringify's string escaping: only '"', '\\' and control characters; UTF-8 passes through.
void append_string(std::string& out, const std::string& s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// An integral double JavaScript prints without a fraction; checked before any cast (casting
// 1e300 to an integer is undefined behaviour).
bool is_safe_integer(double d) { return std::fabs(d) <= 9007199254740992.0 && d == std::trunc(d); }

void append(std::string& out, const nlohmann::ordered_json& j) {
  if (j.is_object()) {
    out.push_back('{');
    bool first = true;
    for (const auto& [k, v] : j.items()) {
      if (!first) out.push_back(',');
      first = false;
      append_string(out, k);
      out.push_back(':');
      append(out, v);
    }
    out.push_back('}');
  } else if (j.is_array()) {
    out.push_back('[');
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (i) out.push_back(',');
      append(out, j[i]);
    }
    out.push_back(']');
  } else if (j.is_string()) {
    append_string(out, j.get<std::string>());
  } else if (j.is_number_float() && is_safe_integer(j.get<double>())) {
    out += std::to_string(static_cast<std::int64_t>(j.get<double>()));  // JS prints 1.0 as 1
  } else {
    out += j.dump();
  }
}

}  // namespace

std::string compute_signature(std::string_view secret, std::string_view body) {
  return std::string(kPrefix) + crypto::base64_encode(crypto::hmac_sha256(secret, body));
}

std::string compact_json(std::string_view raw_body) {
  if (json_nested_deeper_than(raw_body)) return {};  // append() recurses once per level
  auto j = nlohmann::ordered_json::parse(raw_body, nullptr, false);
  if (j.is_discarded()) return {};
  std::string out;
  append(out, j);
  return out;
}

SignatureCheck check_signature(const std::vector<std::string>& secrets, std::string_view header,
                               std::string_view raw_body) {
  if (header.empty()) return SignatureCheck::missing;
  if (header.substr(0, kPrefix.size()) != kPrefix || header.size() == kPrefix.size())
    return SignatureCheck::malformed;
  std::string compact;  // computed only if the raw body does not match
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    if (crypto::constant_time_equal(compute_signature(secret, raw_body), header)) return SignatureCheck::ok;
    if (compact.empty()) compact = compact_json(raw_body);
    if (!compact.empty() && compact != raw_body &&
        crypto::constant_time_equal(compute_signature(secret, compact), header))
      return SignatureCheck::ok;
  }
  return SignatureCheck::mismatch;
}

}  // namespace sms::infinity
