// JSON from the network: bounded before anything recursive touches it, and unambiguous.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

#include "core/result.h"

namespace sms {

// Deepest nesting we accept in any JSON body; real Infinity events and config patches use < 8.
inline constexpr int kMaxJsonDepth = 64;

// True if `text` opens more than `limit` nested objects/arrays. Brackets inside strings do not
// count, and stray closers cannot buy extra depth. A cheap scan; does not validate the JSON.
bool json_nested_deeper_than(std::string_view text, int limit = kMaxJsonDepth);

// Parses an untrusted document. invalid_input when it is nested deeper than kMaxJsonDepth, is not
// JSON (strings must be valid UTF-8), or repeats a key within one object: parsers disagree on
// which duplicate wins, so a signed body could mean one thing to us and another to its sender.
Result<nlohmann::json> parse_untrusted_json(std::string_view text);

}  // namespace sms
