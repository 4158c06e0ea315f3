// Socket activation: the listening sockets passed in by systemd's LISTEN_FDS protocol.
#include "server/listen_fds.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <charconv>
#include <string>
#include <vector>


namespace sms::server {
namespace {

constexpr int kFirstInheritedFd = 3;  // SD_LISTEN_FDS_START

std::optional<int> parse_int(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string env_value(const config::Env& env, const char* key) {
  auto it = env.find(key);
  return it == env.end() ? "" : it->second;
}

std::vector<std::string> split_names(const std::string& names) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (start <= names.size()) {
    auto colon = names.find(':', start);
    if (colon == std::string::npos) colon = names.size();
    out.push_back(names.substr(start, colon - start));
    start = colon + 1;
  }
  return out;
}

Result<void> check_listening_stream(int fd) {
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  bool ok = ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
  len = sizeof listening;
  ok = ok && ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening == 1;
  if (!ok)
    return fail(ErrorKind::config, "inherited descriptor " + std::to_string(fd) +
                                       " (LISTEN_FDS) is not a listening stream socket; use "
                                       "ListenStream= in the socket unit");
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return {};
}

}  // namespace

Result<InheritedSockets> inherited_sockets(const config::Env& env, int pid) {
  InheritedSockets out;
  auto count_text = env_value(env, "LISTEN_FDS");
  if (count_text.empty()) return out;
  if (auto for_pid = parse_int(env_value(env, "LISTEN_PID")); !for_pid || *for_pid != pid) return out;
  auto count = parse_int(count_text);
  if (!count || *count < 0)
    return fail(ErrorKind::config, "LISTEN_FDS is not a number of descriptors: " + count_text);
  auto names = split_names(env_value(env, "LISTEN_FDNAMES"));
  for (int i = 0; i < *count; ++i) {
    int fd = kFirstInheritedFd + i;
    std::string name = i < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(i)] : "";
    if (*count == 1 && name != kAdminSocketName) name = kWebhookSocketName;
    auto* slot = name == kWebhookSocketName ? &out.webhook : name == kAdminSocketName ? &out.admin : nullptr;
    if (!slot)
      return fail(ErrorKind::config, "inherited socket " + std::to_string(fd) + " is named '" + name +
                                         "'; name them 'webhook' and 'admin' (FileDescriptorName=)");
    if (*slot) return fail(ErrorKind::config, "two inherited sockets are named '" + name + "'");
    if (auto ok = check_listening_stream(fd); !ok) return std::unexpected(ok.error());
    *slot = fd;
  }
  return out;
}

}  // namespace sms::server
