// Opt-out keywords: what an end user's message asks of the opt-out register.
#pragma once

#include <string>
#include <string_view>

namespace sms::compliance {

enum class OptAction { none, stop, start, help };
const char* to_string(OptAction a);  // "none", "stop", "start", "help"

// Twilio's OptOutType field (STOP, START, HELP: sent when the number uses Advanced Opt-Out)
// decides when present; else the whole trimmed body, case-insensitive, as one of Twilio's
// standard keywords: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE (stop);
// START, YES, UNSTOP (start); HELP, INFO (help).
OptAction opt_action(std::string_view body, std::string_view opt_out_type);

// The body as the register records the keyword: trimmed, uppercased, at most 32 characters.
std::string keyword(std::string_view body);

}  // namespace sms::compliance
