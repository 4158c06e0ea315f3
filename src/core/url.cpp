// URL parsing (absolute http(s) URLs), origins, loopback checks and base URL normalisation.
#include "core/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace sms {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string Url::origin() const {
  std::string out = scheme + "://";
  if (!userinfo.empty()) out += userinfo + "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port) out += ":" + std::to_string(port);
  return out;
}

bool Url::is_loopback() const {
  auto h = lower(host);
  if (h == "localhost" || h == "::1") return true;
  // 127.0.0.0/8 as a dotted-quad literal only: "127.evil.example" is a DNS name anyone can own.
  in_addr a{};
  return inet_pton(AF_INET, h.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

bool Url::keeps_credentials_private() const { return scheme == "https" || is_loopback(); }

std::optional<Url> parse_url(std::string_view s) {
  auto sep = s.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Url u;
  u.scheme = lower(s.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  auto rest = s.substr(sep + 3);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) {
    u.fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    u.query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.path = rest.substr(slash);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    u.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  // Hosts never contain spaces, control characters or DEL (they would corrupt a request line).
  if (u.host.empty() || std::any_of(u.host.begin(), u.host.end(), [](char c) {
        auto b = static_cast<unsigned char>(c);
        return b <= 0x20 || b == 0x7f;
      }))
    return std::nullopt;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return std::nullopt;
    u.port = std::stoi(std::string(port));
    if (u.port < 1 || u.port > 65535) return std::nullopt;
  }
  return u;
}

std::string normalize_base_url(std::string_view s) {
  std::string out(s);
  if (out.find("://") == std::string::npos && !out.empty()) out = "https://" + out;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace sms
