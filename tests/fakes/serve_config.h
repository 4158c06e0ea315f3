// serve's configuration for a fake Twilio and a fake Infinity, and the one unit tests build on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/config.h"
#include "fakes/fake_infinity.h"
#include "fakes/fake_twilio.h"

namespace fakes {

// The twilio and avaya sections that point serve at `tw` and `inf` with their credentials,
// Infinity's events signed with `webhook_secret`.
nlohmann::json upstream_config(const FakeTwilio& tw, const FakeInfinity& inf, const std::string& webhook_secret);

// The default configuration with avaya.connectorId "conn-1", `patch` merged over it: what unit
// tests build payloads with.
sms::config::Config configured(const nlohmann::json& patch = nlohmann::json::object());

}  // namespace fakes
