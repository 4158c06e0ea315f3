// Phone numbers as the providers write them.
#include "core/phone.h"

#include <algorithm>
#include <array>

namespace sms {
namespace {

bool digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool is_e164(std::string_view s) {
  if (s.size() < 3 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  return digits(s.substr(1));
}

bool is_short_code(std::string_view s) { return s.size() >= 3 && s.size() <= 8 && digits(s); }

NumberKind number_kind(std::string_view n) {
  if (is_short_code(n)) return NumberKind::short_code;
  static constexpr std::array<std::string_view, 7> kTollFree = {"800", "833", "844", "855", "866", "877", "888"};
  if (n.size() == 12 && n.starts_with("+1") && is_e164(n) &&
      std::find(kTollFree.begin(), kTollFree.end(), n.substr(2, 3)) != kTollFree.end())
    return NumberKind::toll_free;
  return NumberKind::long_code;
}

}  // namespace sms
