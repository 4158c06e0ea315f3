// Phone numbers as the providers write them.
#pragma once

#include <string_view>

namespace sms {

// E.164: '+' then 2 to 15 digits, the first not 0.
bool is_e164(std::string_view s);

// A short code as Twilio writes it: 3 to 8 digits, no '+'.
bool is_short_code(std::string_view s);

// What kind of sender a business number is, for its carriers' send rate: a short code, a North
// American toll-free number (+1 800, 833, 844, 855, 866, 877 or 888), or a long code (any other).
enum class NumberKind { long_code, toll_free, short_code };
NumberKind number_kind(std::string_view business_number);

}  // namespace sms
