// An inbound MMS's media (relay.inboundMedia): what the outbox keeps of them, and what a
// delivery does with them in `attach` mode (fetched from Twilio, uploaded to Infinity, sent as
// the message's attachmentIds; a media that cannot be attached goes as a link instead).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/result.h"
#include "infinity/attachments.h"
#include "twilio/client.h"

namespace sms::relay {

enum class MediaMode { attach, link, drop };
MediaMode media_mode(const config::Config& config);  // relay.inboundMedia

// Infinity takes at most this many attachmentIds per message: an MMS with more is split over
// several outbox messages, in order.
inline constexpr std::size_t kMaxAttachments = 5;

// The stored payload's internal field that lists the media to attach: [{"url", "contentType"}].
// It is removed before the message is sent.
inline constexpr const char* kMediaField = "infinitySmsMedia";

// A delivery tries to attach a media this many times (the message's attempts) when fetching or
// uploading it fails in a way that may pass (no answer, 5xx, 429); then, or at once for any other
// failure (a foreign host, too large, another content type, 404), it goes as a link.
inline constexpr int kMediaAttempts = 3;

// Counts `n` media of `direction` ("inbound", "outbound") with `outcome` in
// infinity_sms_media_total, and `bytes` of them in infinity_sms_media_bytes_total.
void count_media(const char* direction, const char* outcome, std::size_t n = 1, std::size_t bytes = 0);

// What `drop` mode adds to the text: "[2 media dropped]".
std::string dropped_notice(std::size_t count);
// `text` with a media that is not attached, as a link: "<text>\n[media not attached] <url>".
std::string with_link(std::string text, const std::string& url);

// How to fetch a media from Twilio and upload it to Infinity (the tenant's clients).
struct MediaTransport {
  std::function<Result<twilio::Media>(const std::string& url)> fetch;
  std::function<Result<std::string>(const infinity::Attachment&)> upload;  // → attachmentId
};

// The payload to send for a stored inbound message: without kMediaField; with "attachmentIds"
// for the media attached, in order, and the others as links in body.text. `attempts` is how many
// times the message was tried before. An error (to retry the whole message) only when a media
// failed in a way that may pass and attempts remain; a retry fetches and uploads every media
// again (an attachment uploaded for a send that then failed is simply not used).
Result<nlohmann::json> attach_media(nlohmann::json payload, int attempts, const MediaTransport& transport);

}  // namespace sms::relay
