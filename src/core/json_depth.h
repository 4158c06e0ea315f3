// A cheap scan that bounds JSON nesting before anything recursive (a serialiser, a tree walk)
// touches a body from the network.
#pragma once

#include <string_view>

namespace sms {

// Deepest nesting we accept in any JSON body; real Infinity events and config patches use < 8.
inline constexpr int kMaxJsonDepth = 64;

// True if `text` opens more than `limit` nested objects/arrays. Brackets inside strings do not
// count, and stray closers cannot buy extra depth. Does not validate the JSON.
bool json_nested_deeper_than(std::string_view text, int limit = kMaxJsonDepth);

}  // namespace sms
