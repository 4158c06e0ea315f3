// Infinity webhook bodies: the event parser and the signature check (with its compact-JSON
// fallback) never crash, the compact form is stable JSON, and a messages event that parses
// carries at most 10 attachment ids of 1 to 50 bytes.
#include <cstdint>
#include <string_view>

#include "core/json_input.h"
#include "fuzz_check.h"
#include "infinity/event.h"
#include "infinity/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto e = sms::infinity::parse_event(body); e && e->event_type == "messages") {
    FUZZ_CHECK(e->attachment_ids.size() <= sms::infinity::kMaxAttachmentIds);
    for (const auto& id : e->attachment_ids) FUZZ_CHECK(!id.empty() && id.size() <= sms::infinity::kMaxAttachmentIdLength);
  }
  auto signature = sms::infinity::compute_signature("secret", body);
  FUZZ_CHECK(sms::infinity::check_signature({"secret"}, signature, body) == sms::infinity::SignatureCheck::ok);
  FUZZ_CHECK(sms::infinity::check_signature({"other"}, signature, body) == sms::infinity::SignatureCheck::mismatch);
  auto compact = sms::infinity::compact_json(body);
  if (!compact.empty()) FUZZ_CHECK(sms::infinity::compact_json(compact) == compact);
  return 0;
}
