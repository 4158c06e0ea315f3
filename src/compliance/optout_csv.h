// The opt-out register as CSV and JSON, for the optout command and /api/optouts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "store/store.h"

namespace sms::compliance {

// "business_number,end_user_number,since,source\n" then a line per opt-out (since ISO 8601 UTC).
std::string to_csv(const std::vector<store::OptOut>& opt_outs);

// Parses CSV with that header (since and source may be empty or absent: then `now_ms` and
// `source`). Every number must be E.164. The first bad line fails the whole parse, with its
// line number: invalid_input "line 7: end_user_number '12' is not an E.164 number (+ and up to
// 15 digits)".
Result<std::vector<store::OptOut>> parse_csv(std::string_view text, std::int64_t now_ms, const std::string& source);

// A source or keyword as operators may give it: letters, digits, '-', '_' and '.', at most 64.
bool is_word(std::string_view s);

// {"businessNumber","endUserNumber","since","source","keyword"}
nlohmann::json to_json(const store::OptOut& o);

}  // namespace sms::compliance
