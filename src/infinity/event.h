// Webhook events from Infinity as values (infinity-api.md §7).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace sms::infinity {

// A messages event's attachments: Infinity sends at most 5 (infinity-api.md §3); more than
// Twilio's 10 media of one MMS cannot go out as one message and are refused.
inline constexpr std::size_t kMaxAttachmentIds = 10;
inline constexpr std::size_t kMaxAttachmentIdLength = 50;  // bytes, as Infinity's schema

struct Event {
  std::string event_type;   // lowercased: "messages", "health_check", or anything else
  std::string event_id;
  std::string message_id;
  std::string connector_id;
  std::string account_id;
  std::string conversation_session_id;
  std::string channel;      // lowercased
  std::string from;         // headers.from: our business number
  std::vector<std::string> to;  // headers.to: end-user numbers (numbers accepted, made strings)
  std::string text;         // body.text ("" when left out beside attachments)
  std::vector<std::string> attachment_ids;  // attachmentIds (root, else body.attachmentIds), in order
  std::string sender_type;  // sender.type, lowercased
};

// Parses a webhook body. Malformed JSON, a non-object, or a missing/ill-typed eventType is
// invalid_input with the reason. For "messages": eventId or messageId, headers.from, a
// non-empty headers.to, and body.text (string) are required, strings or numbers for the
// numbers; body.text may be left out (a body.type "file") when attachmentIds, at the root or
// else in body, lists attachments: an array of at most kMaxAttachmentIds strings of 1 to
// kMaxAttachmentIdLength bytes. Other event types need only eventType. Enum-like strings are
// lowercased.
Result<Event> parse_event(std::string_view body);

// True when this event is a message to relay to the end user: "messages" from anyone but the
// customer.
bool is_outbound_message(const Event& e);

}  // namespace sms::infinity
