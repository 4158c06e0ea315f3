// The Twilio signature check on hostile input: "URL \n signature \n form body". It never crashes,
// accepts the signature we compute for a form webhook, and refuses it under another token.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/form.h"
#include "core/url.h"
#include "fuzz_check.h"
#include "twilio/signature.h"
#include "twilio/webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto first = input.find('\n');
  if (first == std::string_view::npos) return 0;
  auto second = input.find('\n', first + 1);
  if (second == std::string_view::npos) return 0;
  std::string url(input.substr(0, first));
  std::string signature(input.substr(first + 1, second - first - 1));
  std::string_view body = input.substr(second + 1);

  auto fields = sms::form::parse(body);
  (void)sms::twilio::validate_signature({"token", ""}, signature, url, fields, body);
  (void)sms::twilio::parse_inbound(fields);
  (void)sms::twilio::parse_status(fields);
  if (sms::parse_url(url) && url.find("bodySHA256") == std::string::npos) {
    auto good = sms::twilio::compute_signature("token", url, fields);
    FUZZ_CHECK(sms::twilio::validate_signature({"token"}, good, url, fields, body));
    FUZZ_CHECK(!sms::twilio::validate_signature({"other-token"}, good, url, fields, body));
  }
  return 0;
}
