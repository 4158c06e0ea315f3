// Parsing and validating Infinity webhook events.
#include "infinity/event.h"

#include <nlohmann/json.hpp>

#include <cctype>

#include "core/json_input.h"

namespace sms::infinity {
namespace {

using nlohmann::json;

Error invalid(std::string message) { return make_error(ErrorKind::invalid_input, std::move(message)); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A string field, or a number turned into an E.164-style string (older events sent numbers).
Result<std::string> phone(const json& v, const std::string& name) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned() || v.is_number_integer()) return "+" + std::to_string(v.get<std::int64_t>());
  return std::unexpected(invalid(name + " must be a string"));
}

// A field that may be absent or null, but is a string when given.
Result<std::string> optional_string(const json& j, const std::string& name, const std::string& path) {
  if (!j.contains(name) || j[name].is_null()) return "";
  if (!j[name].is_string()) return std::unexpected(invalid(path + " must be a string"));
  return j[name].get<std::string>();
}

// Phone numbers and addresses are short; anything longer is not a number we can send to.
constexpr std::size_t kMaxAddress = 64;

// attachmentIds at the root (where Infinity's schema has them), else in `body`; none when neither.
Result<std::vector<std::string>> attachment_ids(const json& j, const json* body) {
  const json* ids = nullptr;
  std::string name = "attachmentIds";
  if (j.contains(name) && !j[name].is_null()) ids = &j[name];
  else if (body && body->contains(name) && !(*body)[name].is_null()) {
    ids = &(*body)[name];
    name = "body." + name;
  }
  std::vector<std::string> out;
  if (!ids) return out;
  if (!ids->is_array()) return std::unexpected(invalid(name + " must be an array of strings"));
  if (ids->size() > kMaxAttachmentIds)
    return std::unexpected(invalid(name + " lists " + std::to_string(ids->size()) + " attachments: at most " +
                                   std::to_string(kMaxAttachmentIds) + " go in one MMS"));
  for (const auto& id : *ids) {
    if (!id.is_string() || id.get_ref<const std::string&>().empty())
      return std::unexpected(invalid(name + "[] must be non-empty strings"));
    if (id.get_ref<const std::string&>().size() > kMaxAttachmentIdLength)
      return std::unexpected(invalid(name + "[] must be at most " + std::to_string(kMaxAttachmentIdLength) + " bytes"));
    out.push_back(id.get<std::string>());
  }
  return out;
}

}  // namespace

Result<Event> parse_event(std::string_view body) {
  auto parsed = parse_untrusted_json(body);
  if (!parsed) return std::unexpected(parsed.error());
  const json& j = *parsed;
  if (!j.is_object()) return std::unexpected(invalid("body must be a JSON object"));
  if (!j.contains("eventType") || !j["eventType"].is_string() || j["eventType"].get<std::string>().empty())
    return std::unexpected(invalid("eventType is required and must be a string"));
  Event e;
  e.event_type = lower(j["eventType"].get<std::string>());
  for (auto [name, field] : {std::pair{"eventId", &e.event_id}, std::pair{"messageId", &e.message_id},
                             std::pair{"connectorId", &e.connector_id}, std::pair{"accountId", &e.account_id},
                             std::pair{"conversationSessionId", &e.conversation_session_id},
                             std::pair{"channel", &e.channel}}) {
    auto v = optional_string(j, name, name);
    if (!v) return std::unexpected(v.error());
    *field = *v;
  }
  e.channel = lower(e.channel);
  if (j.contains("sender") && !j["sender"].is_null()) {
    if (!j["sender"].is_object()) return std::unexpected(invalid("sender must be an object"));
    auto type = optional_string(j["sender"], "type", "sender.type");
    if (!type) return std::unexpected(type.error());
    e.sender_type = lower(*type);
  }
  if (e.event_type != "messages") return e;

  if (e.event_id.empty() && e.message_id.empty()) return std::unexpected(invalid("eventId or messageId is required"));
  if (!j.contains("headers") || !j["headers"].is_object()) return std::unexpected(invalid("headers is required"));
  const auto& h = j["headers"];
  if (!h.contains("from")) return std::unexpected(invalid("headers.from is required"));
  auto from = phone(h["from"], "headers.from");
  if (!from) return std::unexpected(from.error());
  e.from = *from;
  if (!h.contains("to") || !h["to"].is_array() || h["to"].empty())
    return std::unexpected(invalid("headers.to must be a non-empty array"));
  for (const auto& t : h["to"]) {
    auto to = phone(t, "headers.to[]");
    if (!to) return std::unexpected(to.error());
    if (to->empty()) return std::unexpected(invalid("headers.to[] must not be empty"));
    if (to->size() > kMaxAddress) return std::unexpected(invalid("headers.to[] is too long for a phone number"));
    e.to.push_back(*to);
  }
  const json* message = j.contains("body") && !j["body"].is_null() ? &j["body"] : nullptr;
  if (message && !message->is_object()) return std::unexpected(invalid("body must be an object"));
  auto ids = attachment_ids(j, message);
  if (!ids) return std::unexpected(ids.error());
  e.attachment_ids = std::move(*ids);
  bool has_text = message && message->contains("text") && !(*message)["text"].is_null();
  if ((has_text && !(*message)["text"].is_string()) || (!has_text && e.attachment_ids.empty()))
    return std::unexpected(invalid("body.text is required and must be a string (it may be left out beside attachmentIds)"));
  if (has_text) e.text = (*message)["text"].get<std::string>();
  if (e.from.empty()) return std::unexpected(invalid("headers.from must not be empty"));
  if (e.from.size() > kMaxAddress) return std::unexpected(invalid("headers.from is too long for a phone number"));
  return e;
}

bool is_outbound_message(const Event& e) { return e.event_type == "messages" && e.sender_type != "customer"; }

}  // namespace sms::infinity
