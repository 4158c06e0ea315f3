// Time: ISO 8601 formatting/parsing and durations like "30s", "15m", "7d".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sms {

using SysTime = std::chrono::system_clock::time_point;

// "2025-09-14T17:03:14.973Z" (UTC, milliseconds).
std::string iso8601(SysTime t);
inline std::string iso8601_now() { return iso8601(std::chrono::system_clock::now()); }

// Parses "YYYY-MM-DDTHH:MM:SS[.f{0,9}](Z|±HH:MM)" with a year from 1970 to 2200; nullopt if
// malformed or out of that range (SysTime counts nanoseconds: it ends in 2262).
std::optional<SysTime> parse_iso8601(std::string_view s);

// Milliseconds since the Unix epoch.
std::int64_t unix_ms(SysTime t);
inline std::int64_t unix_ms_now() { return unix_ms(std::chrono::system_clock::now()); }
// Microseconds since the Unix epoch (send pacing).
inline std::int64_t unix_us_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "500ms", "30s", "15m", "2h", "7d" (a bare number is seconds); nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s);

}  // namespace sms
