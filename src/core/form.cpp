// Form bodies (application/x-www-form-urlencoded): parsing, encoding and percent-encoding.
#include "core/form.h"

#include <cctype>

namespace sms::form {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string encode_component(std::string_view s, bool space_as_plus) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ' && space_as_plus) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xF]);
    }
  }
  return out;
}

}  // namespace

std::string url_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);  // invalid escapes stay literal
    }
  }
  return out;
}

std::string url_encode(std::string_view s) { return encode_component(s, false); }

Fields parse(std::string_view body) {
  Fields fields;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto piece = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    fields.emplace_back(url_decode(piece.substr(0, eq), true),
                        eq == std::string_view::npos ? "" : url_decode(piece.substr(eq + 1), true));
  }
  return fields;
}

std::string encode(const Fields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    out += encode_component(k, true) + "=" + encode_component(v, true);
  }
  return out;
}

std::string value(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  return {};
}

bool has(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields)
    if (k == name) return true;
  return false;
}

}  // namespace sms::form
