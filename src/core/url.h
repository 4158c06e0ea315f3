// Just enough URL parsing for our needs: scheme://[userinfo@]host[:port][/path][?query][#frag]
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sms {

struct Url {
  std::string scheme;    // lowercased: "http" or "https"
  std::string userinfo;  // "user:pass" or ""
  std::string host;      // as written (case kept); IPv6 without brackets
  int port = 0;          // 0 when not written
  std::string path;      // "" or starting with '/'
  std::string query;     // without '?'
  std::string fragment;  // without '#'

  int effective_port() const { return port ? port : (scheme == "https" ? 443 : 80); }
  // scheme://[userinfo@]host[:port] with the port only when written.
  std::string origin() const;
  bool is_loopback() const;  // localhost, 127.0.0.0/8 literals, ::1
  // https, or plain http to this machine only: the test for any URL credentials are sent to.
  bool keeps_credentials_private() const;
};

// Parses an absolute http(s) URL; nullopt for anything else (no scheme, bad port, empty host).
std::optional<Url> parse_url(std::string_view s);

// A host given without a scheme ("core.x.ec.avayacloud.com") gets "https://"; trailing '/' dropped.
std::string normalize_base_url(std::string_view s);

}  // namespace sms
