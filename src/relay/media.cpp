// Inbound media: the mode, the notices in the text, and attaching them at delivery time.
#include "relay/media.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "core/metrics.h"
#include "twilio/media.h"

namespace sms::relay {
namespace {

using nlohmann::json;

void count(const char* outcome, std::size_t bytes = 0) { count_media("inbound", outcome, 1, bytes); }

// "media-2.jpeg" for the second media of type image/jpeg: a name without anything of the sender's.
std::string filename(std::size_t index, const std::string& type) {
  std::string ext;
  for (char c : type.substr(type.find('/') + 1))
    if (std::isalnum(static_cast<unsigned char>(c)) && ext.size() < 10) ext += c;
  return "media-" + std::to_string(index + 1) + (ext.empty() ? "" : "." + ext);
}

Result<std::string> attach_one(std::size_t index, const std::string& url, const std::string& declared,
                               const MediaTransport& transport) {
  auto media = transport.fetch(url);
  if (!media) {
    auto e = media.error();
    e.message = "fetching it from Twilio: " + e.message;
    // Twilio's failure, not Infinity's: retried with the message's own backoff, without
    // counting the inbound upstream (Infinity) as failing.
    if (e.retryable()) e.kind = ErrorKind::internal;
    return std::unexpected(e);
  }
  count("fetched", media->bytes.size());
  auto type = twilio::media_type(media->content_type);
  if (!declared.empty() && twilio::media_type(declared) != type)
    return fail(ErrorKind::permanent, "Twilio served it as " + (type.empty() ? std::string("no type") : type) +
                                          ", the webhook declared " + twilio::media_type(declared));
  auto size = media->bytes.size();
  auto id = transport.upload({filename(index, type), type, std::move(media->bytes)});  // megabytes: not copied
  if (!id) {
    auto e = id.error();
    e.message = "uploading it to Infinity: " + e.message;
    return std::unexpected(e);
  }
  count("uploaded", size);
  return id;
}

bool may_pass(const Error& e) { return e.retryable() || e.kind == ErrorKind::internal; }

}  // namespace

void count_media(const char* direction, const char* outcome, std::size_t n, std::size_t bytes) {
  auto& r = metrics::registry();
  r.counter("infinity_sms_media_total",
            "Media of MMS by direction: inbound fetched, uploaded or failed (sent as a link); outbound linked (sent as "
            "MediaUrl), failed (left out) or fallback_text (sent as a link in a text)",
            {{"direction", direction}, {"outcome", outcome}})
      .inc(static_cast<std::int64_t>(n));
  if (bytes > 0)
    r.counter("infinity_sms_media_bytes_total", "Bytes of media fetched and uploaded, by direction",
              {{"direction", direction}, {"outcome", outcome}})
        .inc(static_cast<std::int64_t>(bytes));
}

MediaMode media_mode(const config::Config& c) {
  auto mode = c.str("relay.inboundMedia");
  return mode == "attach" ? MediaMode::attach : mode == "drop" ? MediaMode::drop : MediaMode::link;
}

std::string dropped_notice(std::size_t n) { return "[" + std::to_string(n) + " media dropped]"; }

std::string with_link(std::string text, const std::string& url) {
  return text + (text.empty() ? "" : "\n") + "[media not attached] " + url;
}

Result<json> attach_media(json payload, int attempts, const MediaTransport& transport) {
  if (!payload.is_object() || !payload.contains(kMediaField)) return payload;
  auto media = payload[kMediaField];
  payload.erase(kMediaField);
  if (!media.is_array()) return payload;
  auto text = payload.value("/body/text"_json_pointer, std::string());
  json ids = json::array();
  for (std::size_t i = 0; i < media.size(); ++i) {
    auto url = media[i].value("url", std::string());
    auto id = attach_one(i, url, media[i].value("contentType", std::string()), transport);
    if (id) {
      ids.push_back(*id);
      continue;
    }
    if (may_pass(id.error()) && attempts + 1 < kMediaAttempts) {
      auto e = id.error();
      e.message = "media " + std::to_string(i + 1) + " of " + std::to_string(media.size()) + ": " + e.message;
      return std::unexpected(e);
    }
    count("failed");
    spdlog::warn("media {} of {} sent as a link: {}", i + 1, media.size(), id.error().message);
    text = with_link(std::move(text), url);
  }
  payload["body"]["text"] = text;
  if (!ids.empty()) payload["attachmentIds"] = ids;
  return payload;
}

}  // namespace sms::relay
