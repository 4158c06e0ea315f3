// Untrusted JSON: the nesting-depth scan and a parser that refuses duplicate keys.
#include "core/json_input.h"

#include <set>
#include <string>
#include <vector>

namespace sms {

bool json_nested_deeper_than(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

Result<nlohmann::json> parse_untrusted_json(std::string_view text) {
  using nlohmann::json;
  if (json_nested_deeper_than(text))
    return fail(ErrorKind::invalid_input, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  std::vector<std::set<std::string>> keys;  // keys seen in each open object
  std::string duplicate;
  auto j = json::parse(
      text,
      [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        else if (event == json::parse_event_t::object_end) keys.pop_back();
        else if (event == json::parse_event_t::key && !keys.back().insert(parsed.get<std::string>()).second &&
                 duplicate.empty())
          duplicate = parsed.get<std::string>();
        return true;
      },
      false);
  if (j.is_discarded()) return fail(ErrorKind::invalid_input, "body is not valid JSON (or not UTF-8)");
  if (!duplicate.empty())
    return fail(ErrorKind::invalid_input, "duplicate key \"" + duplicate.substr(0, 64) + "\" in a JSON object");
  return j;
}

}  // namespace sms
