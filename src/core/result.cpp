// The names of error kinds (to_string(ErrorKind)).
#include "core/result.h"

namespace sms {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::network: return "network";
    case ErrorKind::retryable: return "retryable";
    case ErrorKind::auth: return "auth";
    case ErrorKind::permanent: return "permanent";
    case ErrorKind::invalid_input: return "invalid_input";
    case ErrorKind::config: return "config";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

}  // namespace sms
