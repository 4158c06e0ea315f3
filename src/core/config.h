// The configuration model: one schema table of dotted keys (the sample's JSON shape plus ours),
// typed access, validation, partial updates and the sample's masking.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sms::config {

enum class Type {
  string,
  boolean,
  integer,   // with min/max
  url,       // "" or an absolute http(s) URL
  api_url,   // an absolute URL credentials are sent to: https, or http to loopback only
  host,      // "" or a host name / base URL credentials are sent to; a bare host gets https://
  duration,  // "500ms", "30s", "15m", "2h", "7d"
  numbers,   // an array of E.164 numbers (a tenant's business numbers)
  rate,      // a number of sends per second from 0 (not paced) to 10000, fractions allowed
  rates,     // an object of business numbers (E.164 or short code) to rates
};

enum class Sensitivity {
  plain,   // shown as is
  masked,  // masked in output (the sample masks SIDs and client ids), may appear in logs
  secret,  // masked in output and never logged
};

struct KeySpec {
  std::string_view key;  // dotted, e.g. "avaya.host"
  Type type;
  nlohmann::json default_value;
  Sensitivity sensitivity;
  std::string_view env;   // the environment variable that overrides it, "" if none
  std::string_view help;  // one line for docs and `config show`
  std::int64_t min = 0, max = 0;  // integers only
};

// Every key, in documentation order.
const std::vector<KeySpec>& schema();
// The key's spec; a tenant's key (tenants.<name>.twilio.account.sid) has the spec of the key it
// repeats (twilio.account.sid) or of tenants.<name>.numbers.
const KeySpec* find_key(std::string_view key);

// Tenants: besides the top-level twilio.* and avaya.* (the tenant "default", which serves every
// number no other tenant claims), tenants.<name>.twilio.*, tenants.<name>.avaya.* and
// tenants.<name>.numbers. A name is 1 to 32 of a-z, 0-9, '-' and '_', starting with a letter or
// digit; "default" is taken.
inline constexpr std::string_view kDefaultTenant = "default";
bool valid_tenant_name(std::string_view name);
// The keys of one tenant, relative to tenants.<name>: every twilio.* and avaya.* key, numbers,
// and pacing.* (relay.pacing.* for the tenant's numbers: what it does not set, it shares).
const std::vector<KeySpec>& tenant_schema();
// Keys serve reads once, at start (its listeners, the store, the relay's workers): a change by
// POST /api/configs or SIGHUP is saved but takes effect at the next start.
bool applies_at_start(std::string_view key);

// The sample's masking: "" stays "", 6 characters or fewer become "***", longer ones keep the
// first 3 and the last 2 characters around "***".
std::string mask(std::string_view value);

// A full configuration: every schema key present with a value of its type.
struct Tenants;

class Config {
 public:
  Config();  // defaults
  explicit Config(nlohmann::json tree);  // trusted full tree (from merge/load)

  const nlohmann::json& tree() const { return tree_; }

  std::string str(std::string_view key) const;  // string, url, host, duration keys
  bool flag(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  double rate(std::string_view key) const;

  // Convenience views used everywhere.
  bool twilio_mock() const { return flag("twilio.isMockMode"); }
  bool avaya_mock() const { return flag("avaya.isMockMode"); }
  std::string avaya_base_url() const;  // normalize_base_url(avaya.host), "" when unset

  // The sample's GET /api/configs shape ({"twilio":{...},"avaya":{...}}) plus our sections,
  // with masked and secret values masked.
  nlohmann::json masked() const;
  // Same shape, nothing masked (config show --reveal). Both show each tenant complete: its
  // twilio and avaya sections with the defaults of the keys it does not set.
  nlohmann::json revealed() const;

  // The tenants in use: "default" first (unless named tenants exist and the top-level twilio
  // and avaya sections configure neither side, nor mock mode), then the named ones in name order.
  const std::vector<std::string>& tenant_names() const;
  // The configuration as tenant `name` sees it: its own twilio.* and avaya.* (the schema's
  // defaults for what it does not set, never the default tenant's values), every other section
  // shared. "default" is this configuration; nullptr for a tenant that does not exist.
  const Config* tenant(std::string_view name) const;
  // The tenant whose view this is ("default" for the top level).
  const std::string& tenant_name() const { return name_; }
  // The view of the tenant that serves `business_number`: the tenant listing it among its
  // numbers, else the default tenant if it is in use, else nullptr (no tenant's number).
  const Config* serving(std::string_view business_number) const;
  // The tenant whose avaya.connectorId is `connector_id`, or nullptr.
  const Config* tenant_of_connector(std::string_view connector_id) const;
  // A named tenant's business numbers (empty for "default").
  std::vector<std::string> numbers(std::string_view tenant) const;
  // Whether named tenants are configured.
  bool has_named_tenants() const;
  // How a user names `key` of this configuration: "tenants.<name>.<key>" in a tenant's view.
  std::string key_name(std::string_view key) const { return prefix_ + std::string(key); }

 private:
  void index_tenants();

  nlohmann::json tree_;
  std::string name_{kDefaultTenant};
  std::string prefix_;  // "" or "tenants.<name>." in a tenant's view
  std::shared_ptr<const Tenants> tenants_;  // the views and indexes behind the tenant accessors
};

// What a whole configuration must hold beyond each key's own check (check_patch): each named
// tenant has numbers no other tenant claims, credentials for both sides (or mock mode) and its
// own connector id. Returns one message per problem, each naming the key; empty when fine.
std::vector<std::string> check_tenants(const Config& config);

// What Infinity (inbound) or Twilio (outbound) delivery lacks with this configuration, "" when
// nothing: e.g. "avaya.host is not set (set it with 'infinity-sms config set avaya.host ...')".
// Mock modes need nothing.
std::string missing_infinity_settings(const Config& config);
std::string missing_twilio_settings(const Config& config);

// Checks a partial JSON object (same shape as the file) against the schema: unknown keys, wrong
// types, out-of-range or malformed values. Returns one message per problem, each naming the key
// and the fix; empty when fine.
std::vector<std::string> check_patch(const nlohmann::json& patch);

// Parses a command-line string into the key's JSON type ("true"/"false"/"1"/"0"/"yes"/"no" for
// booleans, decimal for integers), then validates it like check_patch.
Result<nlohmann::json> parse_value(std::string_view key, std::string_view text);

// Deep-merges patch into base (objects merge, everything else replaces) and returns the dotted
// keys whose value changed.
std::vector<std::string> merge_into(nlohmann::json& base, const nlohmann::json& patch);

// Sets a dotted key inside a JSON object tree, creating objects on the way.
void set_dotted(nlohmann::json& tree, std::string_view key, nlohmann::json value);
// The value at a dotted key, or nullptr when absent.
const nlohmann::json* get_dotted(const nlohmann::json& tree, std::string_view key);

}  // namespace sms::config
