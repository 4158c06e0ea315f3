// The opt-out register: changes from what end users and Twilio say (logged and counted), and the replies it refuses.
#pragma once

#include <string>

#include <optional>

#include "compliance/keywords.h"
#include "core/config.h"
#include "core/result.h"
#include "store/store.h"

namespace sms::compliance {

// Applies an end user's `action` to the register: stop registers (business, end user) with
// `source` and `keyword`, start removes it, help and none change nothing.
// Counted in infinity_sms_optout_changes_total{action,source}.
Result<void> apply(store::Store& store, OptAction action, const std::string& business_number,
                   const std::string& end_user_number, const std::string& source, const std::string& keyword);

// Why an agent's reply (outbound message `m`) must not be sent, else nullopt: a permanent error
// with provider code opted_out when its end user opted out of its business number and
// compliance.enforceOptOut is on; an internal error (retried with the message's own backoff)
// when the register cannot be read, since sending without knowing could break the law.
std::optional<Error> refusal(store::Store& store, const store::Message& m, const config::Config& config);

// Twilio answered 21610 to outbound message `m`: its end user had opted out (texted STOP to the
// number) before we knew. Registers it; a failure is logged.
void opted_out_at_twilio(store::Store& store, const store::Message& m);

}  // namespace sms::compliance
