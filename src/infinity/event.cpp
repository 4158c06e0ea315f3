#include "infinity/event.h"

#include <nlohmann/json.hpp>

#include <cctype>

#include "core/json_depth.h"

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

std::string optional_string(const json& j, const char* name) {
  return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : "";
}

}  // namespace

Result<Event> parse_event(std::string_view body) {
  if (json_nested_deeper_than(body)) return std::unexpected(invalid("JSON nested deeper than 64 levels"));
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::unexpected(invalid("body is not valid JSON"));
  if (!j.is_object()) return std::unexpected(invalid("body must be a JSON object"));
  if (!j.contains("eventType") || !j["eventType"].is_string() || j["eventType"].get<std::string>().empty())
    return std::unexpected(invalid("eventType is required and must be a string"));
  Event e;
  e.event_type = lower(j["eventType"].get<std::string>());
  e.event_id = optional_string(j, "eventId");
  e.message_id = optional_string(j, "messageId");
  e.connector_id = optional_string(j, "connectorId");
  e.account_id = optional_string(j, "accountId");
  e.conversation_session_id = optional_string(j, "conversationSessionId");
  e.channel = lower(optional_string(j, "channel"));
  if (j.contains("sender") && j["sender"].is_object()) e.sender_type = lower(optional_string(j["sender"], "type"));
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
    e.to.push_back(*to);
  }
  if (!j.contains("body") || !j["body"].is_object() || !j["body"].contains("text") || !j["body"]["text"].is_string())
    return std::unexpected(invalid("body.text is required and must be a string"));
  e.text = j["body"]["text"].get<std::string>();
  if (e.from.empty()) return std::unexpected(invalid("headers.from must not be empty"));
  return e;
}

bool is_outbound_message(const Event& e) { return e.event_type == "messages" && e.sender_type != "customer"; }

}  // namespace sms::infinity
