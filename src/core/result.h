// Expected failures are values: Result<T> carries either T or a typed Error.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>

namespace sms {

// What kind of failure this is. The retry policy reads the kind, never the message.
enum class ErrorKind {
  timeout,        // no answer in time; the request may or may not have been processed
  network,        // could not connect / connection dropped before a response
  retryable,      // upstream said "try later" (5xx, 429, 20429)
  auth,           // credentials rejected (401, 20003, invalid_client)
  permanent,      // upstream rejected this request for good (4xx, 21610, ...)
  invalid_input,  // the caller gave us something malformed
  config,         // our configuration is incomplete or wrong
  not_found,      // the thing asked for does not exist
  internal,       // a bug or an unexpected local failure (disk, database)
};

const char* to_string(ErrorKind kind) noexcept;

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;         // one line, says what was wrong and what to do; never a secret
  int http_status = 0;         // upstream HTTP status, 0 when there was no response
  std::string provider_code;   // Twilio "code" (e.g. "21610"), OAuth "error", problem "title"
  std::string more_info;       // Twilio more_info URL, problem "type", OAuth error_description
  std::optional<std::chrono::milliseconds> retry_after;  // from a Retry-After header

  bool retryable() const noexcept {
    return kind == ErrorKind::timeout || kind == ErrorKind::network ||
           kind == ErrorKind::retryable;
  }
};

template <class T>
using Result = std::expected<T, Error>;

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message), 0, {}, {}, {}};
}

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected<Error>(make_error(kind, std::move(message)));
}

}  // namespace sms
