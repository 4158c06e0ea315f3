// The configuration model: one schema table of dotted keys (the sample's JSON shape plus ours),
// typed access, validation, partial updates and the sample's masking.
#pragma once

#include <cstdint>
#include <map>
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
const KeySpec* find_key(std::string_view key);
// Keys serve reads once, at start (its listeners, the store, the relay's workers): a change by
// POST /api/configs or SIGHUP is saved but takes effect at the next start.
bool applies_at_start(std::string_view key);

// The sample's masking: "" stays "", 6 characters or fewer become "***", longer ones keep the
// first 3 and the last 2 characters around "***".
std::string mask(std::string_view value);

// A full configuration: every schema key present with a value of its type.
class Config {
 public:
  Config();  // defaults
  explicit Config(nlohmann::json tree);  // trusted full tree (from merge/load)

  const nlohmann::json& tree() const { return tree_; }

  std::string str(std::string_view key) const;  // string, url, host, duration keys
  bool flag(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;

  // Convenience views used everywhere.
  bool twilio_mock() const { return flag("twilio.isMockMode"); }
  bool avaya_mock() const { return flag("avaya.isMockMode"); }
  std::string avaya_base_url() const;  // normalize_base_url(avaya.host), "" when unset

  // The sample's GET /api/configs shape ({"twilio":{...},"avaya":{...}}) plus our sections,
  // with masked and secret values masked.
  nlohmann::json masked() const;
  // Same shape, nothing masked (config show --reveal).
  nlohmann::json revealed() const { return tree_; }

 private:
  nlohmann::json tree_;
};

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
