// Changes to the opt-out register from what end users and Twilio say, logged and counted.
#pragma once

#include <string>

#include "compliance/keywords.h"
#include "core/result.h"
#include "store/store.h"

namespace sms::compliance {

// Applies an end user's `action` to the register: stop registers (business, end user) with
// `source` and `keyword`, start removes it, help and none change nothing.
// Counted in infinity_sms_optout_changes_total{action,source}.
Result<void> apply(store::Store& store, OptAction action, const std::string& business_number,
                   const std::string& end_user_number, const std::string& source, const std::string& keyword);

}  // namespace sms::compliance
