// Phone numbers as the providers write them.
#include "core/phone.h"

#include <algorithm>

namespace sms {

bool is_e164(std::string_view s) {
  if (s.size() < 3 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace sms
