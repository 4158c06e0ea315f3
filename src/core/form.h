// application/x-www-form-urlencoded and URL percent-encoding.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sms::form {

// One decoded field, in the order it appeared. Repeated names stay repeated.
using Fields = std::vector<std::pair<std::string, std::string>>;

// Decodes a form body: '+' is a space, %XX decoded, "a" alone is ("a",""), empty pieces skipped.
// Invalid escapes ("%G1", "%4") are kept literally, as browsers and Twilio's helpers do.
Fields parse(std::string_view body);

// Encodes fields as a form body, keys and values percent-encoded (space as '+').
std::string encode(const Fields& fields);

// Percent-encodes everything but unreserved characters (A-Z a-z 0-9 - _ . ~); space as %20.
std::string url_encode(std::string_view s);
// Decodes %XX; with plus_as_space, '+' becomes ' '.
std::string url_decode(std::string_view s, bool plus_as_space);

// First value of a field, or "" when absent.
std::string value(const Fields& fields, std::string_view name);
bool has(const Fields& fields, std::string_view name);

}  // namespace sms::form
