// Agents' attachments out as MMS: links from Infinity, the MMS, and the text that goes instead.
#include "relay/outbound_media.h"

#include <spdlog/spdlog.h>

#include "core/text.h"
#include "relay/media.h"
#include "relay/messages.h"
#include "relay/retry_policy.h"

namespace sms::relay {
namespace {

using nlohmann::json;

const char* attachment_word(std::size_t n) { return n == 1 ? "attachment" : "attachments"; }

std::string more_note(std::size_t n) { return "[" + std::to_string(n) + " more " + attachment_word(n) + " not linked]"; }

std::string with_line(std::string text, const std::string& line) { return text + (text.empty() ? "" : "\n") + line; }

// A link that may come at a later attempt: the whole message is retried with its own backoff, as
// a failure of ours (internal), so that neither Twilio's health nor its pacing takes it for Twilio's.
Error retried(Error e, std::size_t index, std::size_t count) {
  e.message = "attachment " + std::to_string(index + 1) + " of " + std::to_string(count) +
              ": Infinity's download link: " + e.message;
  e.kind = ErrorKind::internal;
  e.http_status = 0;
  e.provider_code.clear();
  return e;
}

}  // namespace

std::string unavailable_note(std::size_t n) { return "[" + std::to_string(n) + " " + attachment_word(n) + " not sent]"; }

std::string fallback_body(const std::string& body, const std::vector<std::string>& links) {
  auto text = body;
  std::size_t linked = 0;
  for (; linked < links.size(); ++linked) {
    auto next = with_line(text, links[linked]);
    auto left = links.size() - linked - 1;
    if (text::length(next) + (left ? text::length(more_note(left)) + 1 : 0) > kTwilioBodyLimit) break;
    text = std::move(next);
  }
  return linked < links.size() ? with_line(text, more_note(links.size() - linked)) : text;
}

Result<std::string> send_with_attachments(json payload, twilio::OutgoingSms sms, const MmsTransport& transport) {
  auto ids = payload.value(kAttachmentsField, json::array());
  if (!ids.is_array()) ids = json::array();
  std::vector<std::string> links;
  json kept = json::array();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto link = transport.link(ids[i].is_string() ? ids[i].get<std::string>() : ids[i].dump());
    if (link) {
      links.push_back(*link);
      kept.push_back(ids[i]);
      continue;
    }
    if (!is_final(link.error())) return std::unexpected(retried(link.error(), i, ids.size()));
    count_media("outbound", "failed");
    spdlog::warn("attachment {} of {} left out: {}", i + 1, ids.size(), link.error().message);
  }
  if (kept.size() < ids.size()) {
    sms.body = with_line(sms.body, unavailable_note(ids.size() - kept.size()));
    payload["body"] = sms.body;
    payload[kAttachmentsField] = kept;
    if (auto r = transport.revise(payload, "media_unavailable", ""); !r) return std::unexpected(r.error());
  }
  if (links.empty()) return transport.send(sms);
  if (!payload.contains(kMmsRefusedField)) {
    sms.media_urls = links;
    auto sent = transport.send(sms);
    if (sent) count_media("outbound", "linked", links.size());
    if (sent || !twilio::refuses_mms(sent.error())) return sent;
    spdlog::warn("Twilio refused the MMS (code {}): its {} {} go as links in a text", sent.error().provider_code, links.size(),
                 attachment_word(links.size()));
    payload[kMmsRefusedField] = sent.error().provider_code;
    if (auto r = transport.revise(payload, "media_not_supported", sent.error().provider_code); !r)
      return std::unexpected(r.error());
    sms.media_urls.clear();
  }
  sms.body = fallback_body(sms.body, links);
  auto sent = transport.send(sms);
  if (sent) count_media("outbound", "fallback_text", links.size());
  return sent;
}

}  // namespace sms::relay
