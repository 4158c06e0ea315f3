// Parsing and validating Twilio's inbound-SMS and status callback forms; new message SIDs.
#include "twilio/webhook.h"

#include <algorithm>
#include <cctype>

#include "core/crypto.h"
#include "core/text.h"

namespace sms::twilio {
namespace {

Error invalid(std::string message) { return make_error(ErrorKind::invalid_input, std::move(message)); }

Result<int> count_field(const form::Fields& f, const char* name) {
  auto v = form::value(f, name);
  if (v.empty()) return 0;
  if (v.size() > 4 || !std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::unexpected(invalid(std::string(name) + " must be a small non-negative integer, got \"" + v + "\""));
  return std::stoi(v);
}

// Every field is text we relay or store as JSON: it must be UTF-8 (Twilio always sends UTF-8).
Result<void> check_utf8(const form::Fields& f) {
  for (const auto& [name, value] : f)
    if (!text::valid_utf8(name) || !text::valid_utf8(value))
      return std::unexpected(invalid("form field " + (text::valid_utf8(name) ? name : std::string("?")) +
                                     " is not valid UTF-8"));
  return {};
}

// SIDs are 34 characters and addresses (E.164, short codes, "whatsapp:+...") far below this.
constexpr std::size_t kMaxIdentifier = 64;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<InboundSms> parse_inbound(const form::Fields& f) {
  if (auto utf8 = check_utf8(f); !utf8) return std::unexpected(utf8.error());
  InboundSms sms;
  for (const char* required : {"MessageSid", "From", "To"}) {
    auto v = form::value(f, required);
    if (v.empty()) return std::unexpected(invalid(std::string(required) + " is required"));
    if (v.size() > kMaxIdentifier) return std::unexpected(invalid(std::string(required) + " is too long"));
  }
  sms.message_sid = form::value(f, "MessageSid");
  sms.account_sid = form::value(f, "AccountSid");
  sms.from = form::value(f, "From");
  sms.to = form::value(f, "To");
  sms.body = form::value(f, "Body");
  sms.opt_out_type = form::value(f, "OptOutType");
  if (sms.opt_out_type.size() > kMaxIdentifier) return std::unexpected(invalid("OptOutType is too long"));
  auto media = count_field(f, "NumMedia");
  if (!media) return std::unexpected(media.error());
  auto segments = count_field(f, "NumSegments");
  if (!segments) return std::unexpected(segments.error());
  sms.num_media = *media;
  sms.num_segments = *segments;
  for (int i = 0; i < sms.num_media && i < 10; ++i)
    if (auto url = form::value(f, "MediaUrl" + std::to_string(i)); !url.empty()) {
      sms.media_urls.push_back(url);
      sms.media_content_types.push_back(form::value(f, "MediaContentType" + std::to_string(i)));
    }
  if (sms.body.empty() && sms.num_media == 0)
    return std::unexpected(invalid("Body is required when NumMedia is 0"));
  static constexpr std::pair<const char*, const char*> geo[] = {
      {"FromCity", "fromCity"}, {"FromState", "fromState"}, {"FromZip", "fromZip"}, {"FromCountry", "fromCountry"},
      {"ToCity", "toCity"},     {"ToState", "toState"},     {"ToZip", "toZip"},     {"ToCountry", "toCountry"}};
  for (auto [field, key] : geo)
    if (auto v = form::value(f, field); !v.empty()) sms.geo[key] = text::split(v, 256).front();
  return sms;
}

Result<StatusCallback> parse_status(const form::Fields& f) {
  if (auto utf8 = check_utf8(f); !utf8) return std::unexpected(utf8.error());
  StatusCallback s;
  s.message_sid = form::value(f, "MessageSid");
  if (s.message_sid.empty()) s.message_sid = form::value(f, "SmsSid");
  s.status = lower(form::has(f, "MessageStatus") ? form::value(f, "MessageStatus") : form::value(f, "SmsStatus"));
  s.error_code = form::value(f, "ErrorCode");
  s.from = form::value(f, "From");
  s.to = form::value(f, "To");
  if (s.message_sid.empty()) return std::unexpected(invalid("MessageSid is required"));
  if (s.message_sid.size() > kMaxIdentifier) return std::unexpected(invalid("MessageSid is too long"));
  if (s.status.empty()) return std::unexpected(invalid("MessageStatus is required"));
  return s;
}

std::string new_message_sid() { return "SM" + crypto::random_hex(16); }

}  // namespace sms::twilio
