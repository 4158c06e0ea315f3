// Twilio's media hosts (the allow-list for media fetches) and content types compared.
#include "twilio/media.h"

#include <cctype>

#include "core/url.h"

namespace sms::twilio {
namespace {

constexpr std::string_view kMediaHost = "api.twilio.com";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool same_origin(const Url& a, const Url& b) {
  return a.scheme == b.scheme && iequals(a.host, b.host) && a.effective_port() == b.effective_port();
}

}  // namespace

bool is_media_url(std::string_view url, std::string_view api_base_url) {
  auto u = parse_url(url);
  if (!u || !u->userinfo.empty() || !u->path.starts_with("/2010-04-01/Accounts/")) return false;
  if (u->scheme == "https" && iequals(u->host, kMediaHost) && u->effective_port() == 443) return true;
  auto base = parse_url(api_base_url);
  return base && same_origin(*u, *base);
}

std::string media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.remove_suffix(1);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) type.remove_prefix(1);
  std::string out(type);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace sms::twilio
