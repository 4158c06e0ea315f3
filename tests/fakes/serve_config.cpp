#include "fakes/serve_config.h"

namespace fakes {

nlohmann::json upstream_config(const FakeTwilio& tw, const FakeInfinity& inf, const std::string& webhook_secret) {
  return {
      {"twilio", {{"account", {{"sid", tw.account_sid()}, {"authToken", tw.auth_token()}}}, {"apiBaseUrl", tw.url()}}},
      {"avaya",
       {{"host", inf.url()},
        {"accountId", inf.account_id()},
        {"clientId", inf.client_id()},
        {"clientSecret", inf.client_secret()},
        {"connectorId", inf.connector_id()},
        {"webhookSecret", webhook_secret}}},
  };
}

sms::config::Config configured(const nlohmann::json& patch) {
  auto tree = sms::config::Config().tree();
  sms::config::merge_into(tree, {{"avaya", {{"connectorId", "conn-1"}}}});
  sms::config::merge_into(tree, patch);
  return sms::config::Config(tree);
}

}  // namespace fakes
