// The notice an agent gets when an outbound message will not reach the customer, or reaches it
// without its attachments as MMS: why, in plain words and as a code, posted into the
// conversation as an inbound message.
#pragma once

#include <optional>
#include <string>

#include "core/config.h"
#include "store/store.h"

namespace sms::compliance {

// Why `failed` (an outbound message, dead, expired or failed) did not reach the customer:
// "opted_out" (provider code opted_out, Twilio 21610), "invalid_number" (21211, 21214, 21217,
// 21401, 21407, 21408, 21614, 30005, 30006), "carrier_blocked" (30004, 30007, 30032, 30034,
// 30036), "expired" (state expired), else "failed".
std::string reason_code(const store::Message& failed);

// The notice for `failed`, or nullopt when compliance.notifyAgent is false or `failed` is not
// an outbound message (a notice never causes another). Dedupe key "notice:<outbox id>"; an
// Infinity Send Message body like an inbound SMS's, from the end user to the business number,
// with body.text from compliance.noticeTemplate ({reason}: the reason in plain words, {code}: the
// reason code, {providerCode}: Twilio's code, {outboxId}), and contextParameters
// infinitySmsNotice (the reason code) and infinitySmsOutboxId.
std::optional<store::Notice> notice_for(const store::Message& failed, const config::Config& config,
                                        const std::string& now_iso);

// The notice for outbound message `m`, still being delivered, whose attachments do not go out as
// MMS: `reason` "media_not_supported" (Twilio refused the MMS with `provider_code`; the text goes
// with links instead) or "media_unavailable" (Infinity gave no download link for some; the text
// goes without them). As notice_for, with the text of compliance.mediaNoticeTemplate and dedupe
// key "notice:<outbox id>:<reason>" (apart from a failure's notice of the same message).
std::optional<store::Notice> media_notice(const store::Message& m, const std::string& reason, const std::string& provider_code,
                                          const config::Config& config, const std::string& now_iso);

}  // namespace sms::compliance
