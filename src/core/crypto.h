// Hashes, HMACs, base64 and constant-time comparison (OpenSSL underneath).
#pragma once

#include <string>
#include <string_view>

namespace sms::crypto {

std::string hmac_sha1(std::string_view key, std::string_view data);    // raw 20 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string sha256(std::string_view data);                             // raw 32 bytes

std::string base64_encode(std::string_view raw);   // standard alphabet, '=' padded, no newlines
std::string base64url_decode(std::string_view s);  // JWT segments: '-_' alphabet, padding optional;
                                                   // returns "" for invalid input
std::string hex_encode(std::string_view raw);      // lowercase

// True when a and b are equal; time depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// n random bytes from the OS CSPRNG, hex-encoded (2n characters).
std::string random_hex(std::size_t n_bytes);

}  // namespace sms::crypto
