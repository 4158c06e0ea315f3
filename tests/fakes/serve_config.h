// serve's configuration for a fake Twilio and a fake Infinity.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "fakes/fake_infinity.h"
#include "fakes/fake_twilio.h"

namespace fakes {

// The twilio and avaya sections that point serve at `tw` and `inf` with their credentials,
// Infinity's events signed with `webhook_secret`.
nlohmann::json upstream_config(const FakeTwilio& tw, const FakeInfinity& inf, const std::string& webhook_secret);

}  // namespace fakes
