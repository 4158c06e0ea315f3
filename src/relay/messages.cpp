// Turning webhooks into outbox messages: dedupe keys and the payloads the workers will send.
#include "relay/messages.h"

#include <algorithm>

#include "compliance/keywords.h"
#include "core/text.h"
#include "relay/media.h"
#include "relay/outbound_media.h"

namespace sms::relay {

using nlohmann::json;

std::string dedupe_key(const twilio::InboundSms& sms) { return "twilio:" + sms.account_sid + ":" + sms.message_sid; }

std::string dedupe_key(const infinity::Event& e) {
  return "infinity:" + (e.event_id.empty() ? "message:" + e.message_id : e.event_id);
}

namespace {

// `attach` mode: the media each part carries, at most kMaxAttachments each, in order: the first
// ones on the last part of the text when there is room left in it for all of them as links (what
// a delivery sends for a media it cannot attach), the others on parts of their own (without
// text) added to `parts`.
std::vector<json> media_of_parts(const twilio::InboundSms& sms, std::vector<std::string>& parts) {
  std::vector<json> media(parts.size());
  std::size_t room = kInfinityTextLimit - text::length(parts.back());
  for (std::size_t i = 0; i < sms.media_urls.size(); ++i) {
    auto links = text::length(with_link("x", sms.media_urls[i])) - 1;
    if (media.back().size() == kMaxAttachments || links > room) {
      parts.emplace_back();
      media.emplace_back();
      room = kInfinityTextLimit;
    }
    auto type = i < sms.media_content_types.size() ? sms.media_content_types[i] : std::string();
    media.back().push_back({{"url", sms.media_urls[i]}, {"contentType", type}});
    room -= std::min(room, links);
  }
  return media;
}

}  // namespace

std::vector<store::NewMessage> inbound_messages(const twilio::InboundSms& sms, const config::Config& config,
                                                const std::string& received_at_iso) {
  auto mode = media_mode(config);
  std::string text = sms.body;
  if (mode == MediaMode::link)
    for (const auto& url : sms.media_urls) text += (text.empty() ? "" : "\n") + url;
  if (mode == MediaMode::drop && !sms.media_urls.empty())
    text += (text.empty() ? "" : "\n") + dropped_notice(sms.media_urls.size());
  json context = json::object();
  for (const auto& [k, v] : sms.geo)
    if (context.size() < 9) context[k] = v;  // at most 8; Infinity takes 10
  // So that a workflow can see a STOP, START or HELP without parsing the text.
  if (auto action = compliance::opt_action(sms.body, sms.opt_out_type); action != compliance::OptAction::none)
    context["infinitySmsOptOut"] = compliance::to_string(action);
  auto parts = text::split(text, kInfinityTextLimit);
  auto media = mode == MediaMode::attach ? media_of_parts(sms, parts) : std::vector<json>(parts.size());
  std::vector<store::NewMessage> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    json m = {{"connectorId", config.str("avaya.connectorId")},
              {"channel", "text"},
              {"headers", {{"from", sms.from}, {"to", {sms.to}}, {"destination", sms.to}}},
              {"body", {{"text", parts[i]}}},
              {"providerMetaData", {{"messageId", sms.message_sid}, {"messageTimestamp", received_at_iso}}},
              {"correlationId", parts.size() == 1 ? sms.message_sid : sms.message_sid + "-" + std::to_string(i + 1)}};
    if (!context.empty()) m["contextParameters"] = context;
    if (!media[i].empty()) m[kMediaField] = std::move(media[i]);
    out.push_back({store::Direction::inbound, sms.from + "|" + sms.to, sms.message_sid, std::move(m)});
  }
  return out;
}

std::vector<store::NewMessage> outbound_messages(const infinity::Event& e, const config::Config& config) {
  auto callback = config.str("server.publicUrl");
  while (!callback.empty() && callback.back() == '/') callback.pop_back();
  if (!callback.empty()) callback += "/callbacks/twilio/status";
  auto source = e.event_id.empty() ? e.message_id : e.event_id;
  auto parts = text::split(e.text, kTwilioBodyLimit);
  const auto& ids = e.attachment_ids;
  if (!ids.empty() && !parts.back().empty() && text::length(parts.back()) + ids.size() * kLinkRoom > kTwilioBodyLimit)
    parts.emplace_back();  // the attachments on a part of their own, with room for their links
  std::vector<store::NewMessage> out;
  for (const auto& to : e.to)
    for (std::size_t i = 0; i < parts.size(); ++i) {
      json m = {{"from", e.from}, {"to", to}, {"body", parts[i]}};
      if (!callback.empty()) m["statusCallback"] = callback;
      if (i + 1 == parts.size() && !ids.empty()) m[kAttachmentsField] = ids;
      out.push_back({store::Direction::outbound, to + "|" + e.from, source, std::move(m)});
    }
  return out;
}

}  // namespace sms::relay
