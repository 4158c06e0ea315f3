// Text utilities: UTF-8 safe splitting and SMS segment counting.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sms::text {

// Splits text into parts of at most max_chars Unicode code points each, preferring to break
// after whitespace (the whitespace stays at the end of the earlier part, so joining the parts
// gives back the text exactly). A word longer than max_chars is cut between code points,
// never inside one. "" gives {""}. Text that fits gives {text}.
std::vector<std::string> split(std::string_view utf8, std::size_t max_chars);

// Number of Unicode code points (invalid bytes count as one each).
std::size_t length(std::string_view utf8);

bool valid_utf8(std::string_view s);

enum class Encoding { gsm7, ucs2 };
struct Segments {
  Encoding encoding;
  std::size_t count;  // SMS segments: GSM-7 160 / 153 per part, UCS-2 70 / 67 (UTF-16 units)
};
// GSM-7 when every character is in the GSM 03.38 basic set or its extension table (extension
// characters count twice); UCS-2 otherwise. "" is one GSM-7 segment.
Segments segments(std::string_view utf8);
const char* to_string(Encoding e);

}  // namespace sms::text
