// Phone numbers as the providers write them.
#pragma once

#include <string_view>

namespace sms {

// E.164: '+' then 2 to 15 digits, the first not 0.
bool is_e164(std::string_view s);

}  // namespace sms
