// What a webhook becomes in the outbox: the exact payloads the workers will send.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "infinity/event.h"
#include "store/store.h"
#include "twilio/webhook.h"

namespace sms::relay {

inline constexpr std::size_t kInfinityTextLimit = 1024;  // body.text on channel "text"
inline constexpr std::size_t kTwilioBodyLimit = 1600;    // Body

// Dedupe keys: "twilio:<AccountSid>:<MessageSid>" and "infinity:<eventId, else messageId>".
std::string dedupe_key(const twilio::InboundSms& sms);
std::string dedupe_key(const infinity::Event& event);

// An inbound SMS as Infinity Send Message bodies (AsyncMessage), in order: channel "text",
// connectorId, headers {from: From, to: [To], destination: To}, body.text (split at word
// boundaries above 1,024 characters; by relay.inboundMedia, media URLs appended one per line
// (link), "[N media dropped]" appended (drop), or the media listed in the internal field
// kMediaField for the delivery to attach, at most 5 per message, more on parts of their own
// (attach: relay/media.h)), providerMetaData
// {messageId: MessageSid, messageTimestamp: received_at}, correlationId (MessageSid, or
// "<MessageSid>-<n>" for part n of several), contextParameters from the geo fields and, for an
// opt-out keyword, infinitySmsOptOut = stop | start | help (compliance/keywords.h).
// Conversation key: "<From>|<To>". direction inbound.
std::vector<store::NewMessage> inbound_messages(const twilio::InboundSms& sms,
                                                const config::Config& config,
                                                const std::string& received_at_iso);

// An agent's message as Twilio sends, in order: for each entry of headers.to, Body split above
// 1,600 characters; payload {"from","to","body","statusCallback"} where statusCallback is
// server.publicUrl + "/callbacks/twilio/status" when a public URL is set, else absent. Its
// attachmentIds go in the internal field kAttachmentsField of the last part, when that part has
// kLinkRoom left for each (for the links a text carries if Twilio refuses the MMS), else of one
// more part without text (relay/outbound_media.h).
// Conversation key: "<to>|<from>" (end user first, as inbound). direction outbound.
std::vector<store::NewMessage> outbound_messages(const infinity::Event& event,
                                                 const config::Config& config);

}  // namespace sms::relay
