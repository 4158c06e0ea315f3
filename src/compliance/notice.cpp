// The agent's notice for an outbound message that will not reach the customer, or not with its
// attachments as MMS.
#include "compliance/notice.h"

#include <algorithm>
#include <array>

namespace sms::compliance {
namespace {

using nlohmann::json;

template <std::size_t N>
bool one_of(const std::string& code, const std::array<std::string_view, N>& codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// Twilio's error codes (https://www.twilio.com/docs/api/errors) by what they mean for the agent.
constexpr std::array<std::string_view, 9> kInvalidNumber = {"21211", "21214", "21217", "21401", "21407",
                                                            "21408", "21614", "30005", "30006"};
constexpr std::array<std::string_view, 5> kCarrierBlocked = {"30004", "30007", "30032", "30034", "30036"};

// The reason in plain words, for {reason}.
std::string plain_words(const std::string& reason, const store::Message& m) {
  auto twilio_code = m.provider_code.empty() ? std::string() : " (Twilio error " + m.provider_code + ")";
  if (reason == "opted_out") return "the customer has opted out of SMS from this number (STOP); they can text START to opt back in";
  if (reason == "invalid_number") return "the number cannot receive SMS" + twilio_code;
  if (reason == "carrier_blocked") return "the carrier blocked it" + twilio_code;
  if (reason == "expired") return "it could not be sent in time (relay.outboundMaxAge)";
  if (!m.provider_code.empty()) return "Twilio could not deliver it" + twilio_code;
  return "Twilio refused it (" + (m.last_error.empty() ? std::string("no reason given") : m.last_error) + ")";
}

std::string replaced(std::string text, std::string_view placeholder, const std::string& value) {
  for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size()))
    text.replace(at, placeholder.size(), value);
  return text;
}

// The notice about outbound message `m` for `reason` (in plain words, `words`), with the text of
// config key `text_key`; `suffix` tells it from the message's other notices.
std::optional<store::Notice> notice(const store::Message& m, const config::Config& config, const char* text_key,
                                    const std::string& reason, const std::string& words, const std::string& provider_code,
                                    const std::string& suffix, const std::string& now_iso) {
  if (!config.flag("compliance.notifyAgent") || m.direction != store::Direction::outbound) return std::nullopt;
  auto sent = json::parse(m.payload, nullptr, false);
  if (!sent.is_object() || !sent.value("to", json()).is_string() || !sent.value("from", json()).is_string()) return std::nullopt;
  std::string end_user = sent["to"], business = sent["from"];
  auto id = std::to_string(m.id);
  auto text = config.str(text_key);
  text = replaced(text, "{code}", reason);
  text = replaced(text, "{providerCode}", provider_code);
  text = replaced(text, "{outboxId}", id);
  text = replaced(text, "{reason}", words);
  // As an inbound SMS from the end user (Infinity has no other way into the conversation), so it
  // is ordered with the customer's messages.
  json n = {{"connectorId", config.str("avaya.connectorId")},
            {"channel", "text"},
            {"headers", {{"from", end_user}, {"to", {business}}, {"destination", business}}},
            {"body", {{"text", text}}},
            {"providerMetaData", {{"messageId", "notice-" + id + suffix}, {"messageTimestamp", now_iso}}},
            {"correlationId", "notice-" + id + suffix},
            {"contextParameters", {{"infinitySmsNotice", reason}, {"infinitySmsOutboxId", id}}}};
  auto key = "notice:" + id + suffix;
  return store::Notice{key, {store::Direction::inbound, end_user + "|" + business, key, std::move(n)}};
}

}  // namespace

std::string reason_code(const store::Message& m) {
  if (m.state == store::State::expired) return "expired";
  if (m.provider_code == "opted_out" || m.provider_code == "21610") return "opted_out";
  if (one_of(m.provider_code, kInvalidNumber)) return "invalid_number";
  if (one_of(m.provider_code, kCarrierBlocked)) return "carrier_blocked";
  return "failed";
}

std::optional<store::Notice> notice_for(const store::Message& failed, const config::Config& config, const std::string& now_iso) {
  auto reason = reason_code(failed);
  return notice(failed, config, "compliance.noticeTemplate", reason, plain_words(reason, failed), failed.provider_code, "",
                now_iso);
}

std::optional<store::Notice> media_notice(const store::Message& m, const std::string& reason, const std::string& provider_code,
                                          const config::Config& config, const std::string& now_iso) {
  auto words = reason == "media_not_supported"
                   ? "the customer's number cannot receive MMS" +
                         (provider_code.empty() ? std::string() : " (Twilio error " + provider_code + ")") +
                         "; they went as links in a text instead"
                   : std::string("Infinity gave no download link for some of them; your reply went without those, and says so");
  return notice(m, config, "compliance.mediaNoticeTemplate", reason, words, provider_code, ":" + reason, now_iso);
}

}  // namespace sms::compliance
