// Error answers shared by the webhook routes.
#include <spdlog/spdlog.h>

#include "server/routes.h"

namespace sms::server {

Response store_unavailable(const Error& error) {
  spdlog::error("store: {}", error.message);
  return error_response(503, "store_unavailable", "the message could not be stored; nothing was accepted");
}

}  // namespace sms::server
