// Opt-out CSV from operators' files and the admin API: parsing never crashes, its errors are
// valid UTF-8 (they go into JSON answers), and what it accepts is written back and parsed again
// to the same opt-outs.
#include <cstdint>
#include <string_view>

#include "compliance/optout_csv.h"
#include "core/text.h"
#include "fuzz_check.h"

namespace {

bool same(const std::vector<sms::store::OptOut>& a, const std::vector<sms::store::OptOut>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].business_number != b[i].business_number || a[i].end_user_number != b[i].end_user_number ||
        a[i].since_ms != b[i].since_ms || a[i].source != b[i].source || a[i].keyword != b[i].keyword)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = sms::compliance::parse_csv(input, 1764806400000, "import");
  if (!parsed) {
    FUZZ_CHECK(sms::text::valid_utf8(parsed.error().message));
    return 0;
  }
  auto again = sms::compliance::parse_csv(sms::compliance::to_csv(*parsed), 0, "other");
  FUZZ_CHECK(again && same(*parsed, *again));
  return 0;
}
