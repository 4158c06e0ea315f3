// Socket activation: the listening sockets a service manager passed in (systemd's LISTEN_FDS
// protocol), by name: "webhook" and "admin".
#pragma once

#include <optional>

#include "core/config_file.h"
#include "core/result.h"

namespace sms::server {

struct InheritedSockets {
  std::optional<int> webhook, admin;  // listening TCP sockets, close-on-exec once taken
};

// Reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from `env`. Without LISTEN_FDS, or when
// LISTEN_PID names another process, nothing is inherited. Descriptors start at 3; names come
// from FileDescriptorName= ("webhook", "admin"); a single socket with any other name (systemd's
// default is the socket unit's name) is the webhook listener. A descriptor that is not a
// listening stream socket, an unknown name among several, or a name given twice is a config error.
Result<InheritedSockets> inherited_sockets(const config::Env& env, int pid);

// The names serve expects, for the socket unit check and error messages.
inline constexpr const char* kWebhookSocketName = "webhook";
inline constexpr const char* kAdminSocketName = "admin";

}  // namespace sms::server
