// UTF-8 text: code point counting, splitting at word boundaries and SMS segment counting.
#include "core/text.h"

#include <string>

namespace sms::text {
namespace {

// Length in bytes of the UTF-8 sequence starting at s[i]; 1 for an invalid byte.
std::size_t sequence_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

char32_t decode(std::string_view s, std::size_t i, std::size_t n) {
  auto c = static_cast<unsigned char>(s[i]);
  if (n == 1) return c;
  char32_t cp = c & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

bool is_space(char32_t c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// GSM 03.38 default alphabet and its extension table (extension characters take two septets).
const std::u32string kGsmBasic =
    U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    U"ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const std::u32string kGsmExtension = U"^{}\\[~]|€\f";

}  // namespace

std::size_t length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += sequence_length(s, i)) ++n;
  return n;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto n = sequence_length(s, i);
    if (n == 1 && static_cast<unsigned char>(s[i]) >= 0x80) return false;
    auto cp = decode(s, i, n);
    bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

std::vector<std::string> split(std::string_view s, std::size_t max_chars) {
  if (max_chars == 0) return {std::string(s)};  // no limit
  std::vector<std::string> parts;
  while (length(s) > max_chars) {
    std::size_t i = 0, count = 0, last_break = 0;
    while (count < max_chars) {
      auto n = sequence_length(s, i);
      bool space = is_space(decode(s, i, n));
      i += n;
      ++count;
      if (space) last_break = i;  // break after whitespace, which stays with this part
    }
    std::size_t cut = last_break ? last_break : i;
    parts.emplace_back(s.substr(0, cut));
    s.remove_prefix(cut);
  }
  parts.emplace_back(s);
  return parts;
}

namespace {

// Parts of a concatenated SMS: a character never straddles two parts (a GSM-7 escape pair or a
// UTF-16 surrogate pair that does not fit starts the next part).
std::size_t parts_of(const std::vector<std::size_t>& sizes, std::size_t single, std::size_t per_part) {
  std::size_t total = 0;
  for (auto n : sizes) total += n;
  if (total <= single) return 1;
  std::size_t parts = 1, used = 0;
  for (auto n : sizes) {
    if (used + n > per_part) ++parts, used = 0;
    used += n;
  }
  return parts;
}

}  // namespace

Segments segments(std::string_view s) {
  std::vector<std::size_t> septets, utf16;
  bool gsm = true;
  for (std::size_t i = 0; i < s.size();) {
    auto n = sequence_length(s, i);
    auto cp = decode(s, i, n);
    i += n;
    utf16.push_back(cp > 0xFFFF ? 2 : 1);
    if (kGsmBasic.find(cp) != std::u32string::npos) septets.push_back(1);
    else if (kGsmExtension.find(cp) != std::u32string::npos) septets.push_back(2);
    else gsm = false;
  }
  if (gsm) return {Encoding::gsm7, parts_of(septets, 160, 153)};
  return {Encoding::ucs2, parts_of(utf16, 70, 67)};
}

const char* to_string(Encoding e) { return e == Encoding::gsm7 ? "GSM-7" : "UCS-2"; }

}  // namespace sms::text
