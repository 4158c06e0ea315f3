// Form bodies from the network: parsing never fails, and what we encode parses back the same.
#include <cstdint>
#include <string_view>

#include "core/form.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto fields = sms::form::parse(input);
  FUZZ_CHECK(sms::form::parse(sms::form::encode(fields)) == fields);
  auto decoded = sms::form::url_decode(input, false);
  FUZZ_CHECK(sms::form::url_decode(sms::form::url_encode(decoded), false) == decoded);
  return 0;
}
