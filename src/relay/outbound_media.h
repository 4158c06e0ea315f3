// An agent's attachments out as MMS: what the outbox keeps of them, and what a delivery does with
// them (a signed download link from Infinity for each, sent to Twilio as the message's MediaUrl;
// when Twilio refuses the MMS for the number, the text with the links instead, once).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "twilio/client.h"

namespace sms::relay {

// The stored payload's internal fields, never sent: the attachment ids to send, and, once Twilio
// refused them as MMS, its error code, which makes every later attempt (a retry, a restart) send
// the text with links instead.
inline constexpr const char* kAttachmentsField = "infinitySmsAttachmentIds";
inline constexpr const char* kMmsRefusedField = "infinitySmsMmsRefused";

// The room a link to an attachment takes in a text (a signed download URL on an Infinity host is
// about 250 characters): the part of an agent's message that carries attachments keeps that much
// for each, for the text that goes instead of an MMS that Twilio refuses.
inline constexpr std::size_t kLinkRoom = 256;

// What the text says instead of attachments Infinity gave no link for: "[1 attachment not sent]".
std::string unavailable_note(std::size_t count);

// The text that goes instead of an MMS: `body`, then each link on a line of its own; links that
// would take it over Twilio's 1,600 characters are left out and counted in a last line
// ("[2 more attachments not linked]").
std::string fallback_body(const std::string& body, const std::vector<std::string>& links);

// Records, before the send that depends on it, that the message now goes as `payload` (what a
// retry or a restart sends, never what it replaced), with the agent's notice for `reason`
// ("media_unavailable" or "media_not_supported": compliance/notice.h) and Twilio's code.
using Revise = std::function<Result<void>(const nlohmann::json& payload, const std::string& reason,
                                          const std::string& provider_code)>;

// How a delivery gets the links and sends (with the tenant's clients), and records a change.
struct MmsTransport {
  std::function<Result<std::string>(const std::string& attachment_id)> link;  // an absolute URL
  std::function<Result<std::string>(const twilio::OutgoingSms&)> send;        // → Twilio's sid
  Revise revise;
};

// Delivers a stored outbound payload that lists kAttachmentsField: `sms` (its from, to, body and
// status callback) with a MediaUrl for each attachment, in order, as one Twilio message; returns
// Twilio's sid, or the error that retries or ends the delivery.
// - A link that fails in a way that may pass (no answer, 5xx, 429, refused token) retries the
//   whole message with its own backoff (an internal error: Infinity's failure is not Twilio's).
// - One refused for good (4xx) is left out: the text says so (unavailable_note), revised first.
// - Twilio refusing the MMS (twilio::refuses_mms) revises the payload with kMmsRefusedField, then
//   sends fallback_body as a text; a payload already marked so sends only that.
Result<std::string> send_with_attachments(nlohmann::json payload, twilio::OutgoingSms sms, const MmsTransport& transport);

}  // namespace sms::relay
