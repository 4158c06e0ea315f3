// The configuration schema and model: typed access, validation, masking and dotted-key edits.
#include "core/config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "core/clock.h"
#include "core/phone.h"
#include "core/text.h"
#include "core/url.h"

namespace sms::config {
namespace {

using nlohmann::json;
using S = Sensitivity;
using T = Type;

// Longer than any provider redelivers a webhook: Twilio's retries (connection overrides) end
// within minutes, and the longest published webhook retry schedule (Standard Webhooks, ~28 h)
// within two days.
constexpr std::chrono::hours kShortestRetention{48};
constexpr double kMaxRate = 10000;  // sends per second: beyond any sender Twilio offers

std::vector<KeySpec> make_schema() {
  return {
      {"twilio.account.sid", T::string, "", S::masked, "TWILIO_ACCOUNT_SID", "Twilio Account SID (AC...)"},
      {"twilio.account.authToken", T::string, "", S::secret, "TWILIO_AUTH_TOKEN", "Twilio auth token: sends without an API key, verifies webhooks"},
      {"twilio.account.previousAuthToken", T::string, "", S::secret, "TWILIO_PREVIOUS_AUTH_TOKEN", "old auth token, still accepted on webhooks during a rotation"},
      {"twilio.apiKey.sid", T::string, "", S::masked, "TWILIO_API_KEY_SID", "Twilio API key SID (SK...), preferred for sending"},
      {"twilio.apiKey.secret", T::string, "", S::secret, "TWILIO_API_KEY_SECRET", "Twilio API key secret"},
      {"twilio.isMockMode", T::boolean, false, S::plain, "", "send nothing to Twilio; record what would be sent"},
      {"twilio.apiBaseUrl", T::api_url, "https://api.twilio.com", S::plain, "", "Twilio REST API base URL"},
      {"twilio.validateSignature", T::boolean, true, S::plain, "", "false accepts unsigned Twilio webhooks"},
      {"avaya.host", T::host, "", S::plain, "AVAYA_INFINITY_HOST", "Infinity host, core.<tenant>.ec.avayacloud.com"},
      {"avaya.accountId", T::string, "", S::plain, "AVAYA_INFINITY_ACCOUNT_ID", "Infinity account id"},
      {"avaya.clientId", T::string, "", S::masked, "AVAYA_INFINITY_CLIENT_ID", "connector client id"},
      {"avaya.clientSecret", T::string, "", S::secret, "AVAYA_INFINITY_CLIENT_SECRET", "connector client secret"},
      {"avaya.connectorId", T::string, "", S::plain, "AVAYA_INFINITY_CONNECTOR_ID", "connector id"},
      {"avaya.webhookSecret", T::string, "", S::secret, "AVAYA_INFINITY_WEBHOOK_SECRET", "verifies x-avaya-event-signature"},
      {"avaya.previousWebhookSecret", T::string, "", S::secret, "AVAYA_INFINITY_PREVIOUS_WEBHOOK_SECRET", "old webhook secret, still accepted during a rotation"},
      {"avaya.isMockMode", T::boolean, false, S::plain, "", "send nothing to Infinity; record what would be sent"},
      {"avaya.sendMessagePath", T::string, "/api/digital/messaging/v1/accounts/{accountId}/messages", S::plain, "", "Send Message path ({accountId} substituted)"},
      {"avaya.allowUnsignedWebhooks", T::boolean, false, S::plain, "", "true accepts unsigned Infinity webhooks when no secret is set"},
      {"server.host", T::string, "0.0.0.0", S::plain, "", "webhook listener address"},
      {"server.port", T::integer, 8081, S::plain, "PORT", "webhook listener port (0: any free port)", 0, 65535},
      {"server.adminHost", T::string, "127.0.0.1", S::plain, "", "admin API listener address"},
      {"server.adminPort", T::integer, 8082, S::plain, "", "admin API listener port (0: any free port)", 0, 65535},
      {"server.tls.cert", T::string, "", S::plain, "", "PEM certificate chain: serve HTTPS (TLS 1.2+) on both listeners"},
      {"server.tls.key", T::string, "", S::plain, "", "PEM private key for server.tls.cert"},
      {"server.publicUrl", T::url, "", S::plain, "", "public base URL Twilio calls (signatures, StatusCallback)"},
      {"server.trustProxy", T::boolean, false, S::plain, "", "honour X-Forwarded-Proto/-Host"},
      {"server.adminToken", T::string, "", S::secret, "", "bearer token for the admin API (generated at first start)"},
      {"server.dataDir", T::string, "", S::plain, "", "outbox directory (default $XDG_STATE_HOME/infinity-sms)"},
      {"server.threads", T::integer, 32, S::plain, "", "HTTP worker threads per listener (connections served at once)", 1, 1024},
      {"server.maxConnections", T::integer, 512, S::plain, "", "connections served or waiting per listener; more get 503", 1, 65535},
      {"server.backlog", T::integer, 1024, S::plain, "", "listen backlog", 1, 65535},
      {"server.maxBodyBytes", T::integer, 65536, S::plain, "", "largest request body (413 above)", 1024, 16777216},
      {"server.maxHeaderBytes", T::integer, 16384, S::plain, "", "largest request header block (431 above)", 1024, 262144},
      {"server.readTimeout", T::duration, "10s", S::plain, "", "longest wait for request bytes"},
      {"server.writeTimeout", T::duration, "10s", S::plain, "", "longest wait to send response bytes"},
      {"server.idleTimeout", T::duration, "5s", S::plain, "", "idle keep-alive connections are closed after this"},
      {"store.url", T::string, "", S::secret, "INFINITY_SMS_STORE_URL", "postgresql://user:password@host/db: a store shared by several serve instances (\"\": SQLite in server.dataDir)"},
      {"store.poolSize", T::integer, 8, S::plain, "", "PostgreSQL connections per process", 1, 256},
      {"store.leaseTimeout", T::duration, "1m", S::plain, "", "PostgreSQL: a claimed delivery returns to the queue if its instance has not finished it by then"},
      {"store.retention", T::duration, "30d", S::plain, "", "finished messages and dedupe keys are purged after this (0: kept for ever)"},
      {"relay.concurrency", T::integer, 8, S::plain, "", "deliveries in flight per direction", 1, 256},
      {"relay.upstreamTimeout", T::duration, "15s", S::plain, "", "timeout of each call to Twilio or Infinity"},
      {"relay.retryInitial", T::duration, "1s", S::plain, "", "first retry delay"},
      {"relay.retryMax", T::duration, "5m", S::plain, "", "longest retry delay"},
      {"relay.probeInterval", T::duration, "2s", S::plain, "", "while an upstream fails, one delivery (a probe) is tried per interval; its first answer releases every waiting message"},
      {"relay.pacing.unit", T::string, "segments", S::plain, "", "what the rates count: segments (an SMS part of 160 GSM-7 / 70 UCS-2 characters) or messages"},
      {"relay.pacing.longCode", T::rate, 1, S::plain, "", "sends per second from a long code (0: not paced)"},
      {"relay.pacing.tollFree", T::rate, 3, S::plain, "", "sends per second from a North American toll-free number (0: not paced)"},
      {"relay.pacing.shortCode", T::rate, 30, S::plain, "", "sends per second from a short code (0: not paced)"},
      {"relay.pacing.numbers", T::rates, json::object(), S::plain, "", "sends per second of particular numbers, over their kind's rate: {\"+15550100\": 10}"},
      {"relay.inboundMedia", T::string, "link", S::plain, "", "pictures of an inbound MMS: attach (fetched from Twilio, uploaded to Infinity as attachments), link (their Twilio URLs in the text) or drop (the text says how many were dropped)"},
      {"relay.maxMediaBytes", T::integer, 5242880, S::plain, "", "largest media attached to Infinity (larger ones are sent as links)", 1024, 104857600},
      {"relay.inboundMaxAge", T::duration, "24h", S::plain, "", "undelivered inbound messages older than this expire"},
      {"relay.outboundMaxAge", T::duration, "24h", S::plain, "", "undelivered outbound messages older than this expire"},
      {"compliance.enforceOptOut", T::boolean, true, S::plain, "", "agents' replies to an end user who opted out (STOP) are not sent: dead, code opted_out"},
      {"compliance.notifyAgent", T::boolean, true, S::plain, "", "tell the agent, in the conversation, when a reply will not reach the customer"},
      {"compliance.noticeTemplate", T::string, "[infinity-sms] Your reply was not delivered: {reason}.", S::plain, "",
       "the notice's text: {reason} (plain words), {code}, {providerCode}, {outboxId}"},
      {"compliance.mediaNoticeTemplate", T::string, "[infinity-sms] Your reply's attachments did not go out as MMS: {reason}.",
       S::plain, "", "the text of the notice about attachments sent as links or left out: placeholders as noticeTemplate's"},
  };
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string_view tenant_prefix(std::string_view key);

std::string unknown_key(std::string_view key) {
  auto tenant = tenant_prefix(key);
  auto rest = key.substr(tenant.size());
  std::string best;
  std::size_t best_d = 4;
  for (const auto& s : tenant.empty() ? schema() : tenant_schema())
    if (auto d = edit_distance(rest, s.key); d < best_d) best_d = d, best = std::string(tenant) + std::string(s.key);
  return std::string(key) + ": unknown key" + (best.empty() ? "" : " (did you mean " + best + "?)");
}

// How an error message shows a rejected value: containers by kind (dumping them recurses and can
// be huge), scalars cut to 80 bytes.
std::string quoted(const json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  auto text = v.dump(-1, ' ', false, json::error_handler_t::replace);  // invalid UTF-8 shown as U+FFFD
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

// The same for a value of `spec`: a secret's value is never echoed, only its JSON type.
std::string quoted(const KeySpec& spec, const json& v) {
  return spec.sensitivity == S::plain || v.is_structured() ? quoted(v) : std::string("a ") + v.type_name();
}

// One problem with a value for `spec`, or "". `key` names it (a tenant's key has the spec of the
// top-level key it repeats).
std::string check_value(const std::string& key, const KeySpec& spec, const json& v) {
  switch (spec.type) {
    case T::numbers: {
      if (!v.is_array()) return key + ": expected an array of E.164 numbers such as [\"+15550100\"], got " + quoted(v);
      std::vector<std::string> seen;
      for (const auto& n : v) {
        if (!n.is_string() || !is_e164(n.get<std::string>()))
          return key + ": " + quoted(n) + " is not an E.164 number (+ and 2 to 15 digits)";
        if (std::find(seen.begin(), seen.end(), n.get<std::string>()) != seen.end())
          return key + ": " + n.get<std::string>() + " is listed twice";
        seen.push_back(n.get<std::string>());
      }
      return "";
    }
    case T::rate:
      if (!v.is_number() || !(v.get<double>() >= 0) || v.get<double>() > kMaxRate)
        return key + ": expected sends per second from 0 (not paced) to 10000, such as 1 or 0.5, got " + quoted(spec, v);
      return "";
    case T::rates: {
      if (!v.is_object()) return key + ": expected an object of numbers to sends per second such as {\"+15550100\": 10}, got " + quoted(v);
      for (const auto& [number, rate] : v.items()) {
        if (!is_e164(number) && !is_short_code(number))
          return key + ": " + quoted(json(number)) + " is not an E.164 number or a short code";
        if (auto p = check_value(key + "." + number, {spec.key, T::rate, 0, S::plain, "", ""}, rate); !p.empty()) return p;
      }
      return "";
    }
    case T::boolean:
      return v.is_boolean() ? "" : key + ": expected true or false, got " + quoted(spec, v);
    case T::integer:
      if (!v.is_number_integer() || v.get<std::int64_t>() < spec.min || v.get<std::int64_t>() > spec.max)
        return key + ": expected an integer from " + std::to_string(spec.min) + " to " +
               std::to_string(spec.max) + ", got " + quoted(spec, v);
      return "";
    default:
      break;
  }
  if (!v.is_string()) return key + ": expected a string, got " + quoted(spec, v);
  auto s = v.get<std::string>();
  if (!text::valid_utf8(s)) return key + ": not valid UTF-8";
  switch (spec.type) {
    case T::url:
      if (!s.empty() && !parse_url(s)) return key + ": not an http(s) URL: " + quoted(spec, v);
      break;
    case T::api_url:
    case T::host: {
      if (s.empty()) break;
      auto u = parse_url(spec.type == T::host ? normalize_base_url(s) : s);
      if (!u) return key + ": not an http(s) URL: " + quoted(spec, v);
      if (spec.type == T::host && (!u->query.empty() || !(u->path.empty() || u->path == "/")))
        return key + ": expected a host such as core.<tenant>.ec.avayacloud.com, got " + quoted(spec, v);
      if (!u->keeps_credentials_private())
        return key + ": credentials are sent there, so it must be https:// (plain http:// only to "
                     "localhost or 127.0.0.1), got " + quoted(spec, v);
      break;
    }
    case T::duration: {
      auto d = parse_duration(s);
      if (!d) return key + ": not a duration like 500ms, 30s, 15m, 2h or 7d: " + quoted(spec, v);
      // A lease shorter than a delivery would hand messages still being sent to other instances.
      if (spec.key == "store.leaseTimeout" && *d < std::chrono::seconds(1)) return key + ": must be at least 1s, got " + quoted(spec, v);
      // Dedupe keys go with the messages: kept shorter than a provider may redeliver a webhook,
      // a late redelivery would be relayed twice (docs/guarantees.md).
      if (spec.key == "store.retention" && d->count() != 0 && *d < kShortestRetention)
        return key + ": must be 0 (keep everything) or at least 2d, got " + quoted(spec, v);
      break;
    }
    default:
      if (spec.key == "avaya.sendMessagePath" && (s.empty() || s.front() != '/'))
        return key + ": must start with '/', got " + quoted(spec, v);
      // Room for the reason and the ids within Infinity's 1,024 characters per message.
      if ((spec.key == "compliance.noticeTemplate" || spec.key == "compliance.mediaNoticeTemplate") &&
          (s.empty() || text::length(s) > 500))
        return key + ": must be 1 to 500 characters";
      if (spec.key.ends_with("pacing.unit") && s != "segments" && s != "messages")
        return key + ": expected segments or messages, got " + quoted(spec, v);
      if (spec.key == "relay.inboundMedia" && s != "attach" && s != "link" && s != "drop")
        return key + ": expected attach, link or drop, got " + quoted(spec, v);
      if (spec.key == "store.url" && !s.empty() && !s.starts_with("postgresql://") && !s.starts_with("postgres://"))
        return key + ": expected \"\" (SQLite) or a postgresql:// URL, got " + quoted(spec, v);
      break;
  }
  return "";
}

// "tenants.<name>." of a tenant's key, or "" for a top-level one (or a malformed tenant name).
std::string_view tenant_prefix(std::string_view key) {
  if (!key.starts_with("tenants.")) return {};
  auto dot = key.find('.', 8);
  if (dot == std::string_view::npos || !valid_tenant_name(key.substr(8, dot - 8))) return {};
  return key.substr(0, dot + 1);
}

// Whether `key` is a section (an object of keys) of `specs`, e.g. "twilio.account".
bool is_section_of(const std::vector<KeySpec>& specs, std::string_view key) {
  return std::any_of(specs.begin(), specs.end(), [&](const KeySpec& s) {
    return s.key.size() > key.size() && s.key.starts_with(key) && s.key[key.size()] == '.';
  });
}

void check_object(const json& patch, const std::string& prefix, std::vector<std::string>& problems);

// tenants: {"<name>": {"twilio": {...}, "avaya": {...}, "numbers": [...]}, ...}
void check_tenants_object(const json& tenants, std::vector<std::string>& problems) {
  if (!tenants.is_object()) {
    problems.push_back("tenants: expected an object of tenants by name, got " + quoted(tenants));
    return;
  }
  for (const auto& [name, section] : tenants.items()) {
    auto key = "tenants." + name;
    if (!valid_tenant_name(name))
      problems.push_back(key + ": a tenant's name is 1 to 32 of a-z, 0-9, '-' and '_', starting with a letter or digit, "
                               "and not \"default\"");
    else if (!section.is_object()) problems.push_back(key + ": expected an object, got " + quoted(section));
    else check_object(section, key, problems);
  }
}

void check_object(const json& patch, const std::string& prefix, std::vector<std::string>& problems) {
  for (const auto& [name, value] : patch.items()) {
    auto key = prefix.empty() ? name : prefix + "." + name;
    if (key == "tenants") {
      check_tenants_object(value, problems);
      continue;
    }
    if (const auto* spec = find_key(key)) {
      if (auto p = check_value(key, *spec, value); !p.empty()) problems.push_back(p);
      continue;
    }
    auto tenant = tenant_prefix(key);
    bool is_section = tenant.empty() ? is_section_of(schema(), key) : is_section_of(tenant_schema(), key.substr(tenant.size()));
    if (!is_section) problems.push_back(unknown_key(key));
    else if (!value.is_object()) problems.push_back(key + ": expected an object, got " + quoted(value));
    else check_object(value, key, problems);
  }
}

void collect_changes(const json& before, const json& after, const std::string& prefix,
                     std::vector<std::string>& changed) {
  for (const auto& [name, value] : after.items()) {
    auto key = prefix.empty() ? name : prefix + "." + name;
    const json* old = before.is_object() && before.contains(name) ? &before.at(name) : nullptr;
    if (value.is_object() && (!old || old->is_object()))
      collect_changes(old ? *old : json::object(), value, key, changed);
    else if (!old || *old != value)
      changed.push_back(key);
  }
}

void deep_merge(json& base, const json& patch) {
  for (const auto& [name, value] : patch.items()) {
    if (value.is_object() && base.contains(name) && base[name].is_object()) deep_merge(base[name], value);
    else base[name] = value;
  }
}

// Every key of the schema has a value (defaults are merged in), so a missing one is unknown.
const json& at_key(const json& tree, std::string_view key, T type) {
  const auto* v = get_dotted(tree, key);
  if (!v) throw std::logic_error("unknown config key " + std::string(key));
  bool ok = type == T::boolean   ? v->is_boolean()
            : type == T::integer ? v->is_number_integer()
            : type == T::rate    ? v->is_number()
                                 : v->is_string();
  if (!ok) throw std::logic_error("config key " + std::string(key) + " read with the wrong type");
  return *v;
}

// "a, b,c" → ["a", "b", "c"] (blanks around items dropped, empty items skipped).
json split_list(std::string_view text) {
  auto out = json::array();
  for (auto rest = text; !rest.empty();) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.push_back(std::string(item));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return out;
}

// A decimal rate ("1", "0.5"; a whole one stays an integer in the file), or the text itself
// when it is none (check_value then says so).
json parse_rate(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d)) return s;
  if (d == std::floor(d) && std::fabs(d) <= kMaxRate) return static_cast<std::int64_t>(d);
  return d;
}

}  // namespace

const std::vector<KeySpec>& schema() {
  static const std::vector<KeySpec> keys = make_schema();
  return keys;
}

const KeySpec* find_key(std::string_view key) {
  auto tenant = tenant_prefix(key);
  const auto& specs = tenant.empty() ? schema() : tenant_schema();
  key.remove_prefix(tenant.size());
  for (const auto& s : specs)
    if (s.key == key) return &s;
  return nullptr;
}

bool applies_at_start(std::string_view key) {
  static const std::vector<std::string_view> keys = {
      "server.host", "server.port", "server.adminHost", "server.adminPort", "server.tls.cert",
      "server.tls.key", "server.dataDir", "server.threads", "server.maxConnections", "server.backlog",
      "server.maxBodyBytes", "server.maxHeaderBytes", "server.readTimeout", "server.writeTimeout",
      "server.idleTimeout", "store.url", "store.poolSize", "store.leaseTimeout", "relay.concurrency"};
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string mask(std::string_view value) {
  if (value.empty()) return "";
  if (value.size() <= 6) return "***";
  return std::string(value.substr(0, 3)) + "***" + std::string(value.substr(value.size() - 2));
}

Config::Config() {
  for (const auto& s : schema()) set_dotted(tree_, s.key, s.default_value);
  index_tenants();
}

Config::Config(nlohmann::json tree) : tree_(std::move(tree)) { index_tenants(); }

std::string Config::str(std::string_view key) const { return at_key(tree_, key, T::string).get<std::string>(); }
bool Config::flag(std::string_view key) const { return at_key(tree_, key, T::boolean).get<bool>(); }
std::int64_t Config::integer(std::string_view key) const {
  return at_key(tree_, key, T::integer).get<std::int64_t>();
}

double Config::rate(std::string_view key) const { return at_key(tree_, key, T::rate).get<double>(); }

std::string Config::avaya_base_url() const {
  auto h = str("avaya.host");
  return h.empty() ? "" : normalize_base_url(h);
}

std::vector<std::string> check_patch(const nlohmann::json& patch) {
  if (!patch.is_object()) return {"configuration: expected a JSON object, got " + quoted(patch)};
  std::vector<std::string> problems;
  check_object(patch, "", problems);
  return problems;
}

Result<nlohmann::json> parse_value(std::string_view key, std::string_view text) {
  const auto* spec = find_key(key);
  if (!spec) return fail(ErrorKind::config, unknown_key(key));
  json v = std::string(text);
  if (spec->type == T::numbers) {  // "+15550100,+15550101"
    v = split_list(text);
  } else if (spec->type == T::rate) {
    v = parse_rate(text);
  } else if (spec->type == T::rates) {  // "+15550100=10,12345=30"
    v = json::object();
    for (const auto& entry : split_list(text)) {
      auto item = entry.get<std::string>();
      auto eq = item.find('=');
      if (eq == std::string::npos) return fail(ErrorKind::config, std::string(key) + ": expected NUMBER=RATE[,NUMBER=RATE...], got " + item);
      v[item.substr(0, eq)] = parse_rate(item.substr(eq + 1));
    }
  } else if (spec->type == T::boolean) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") v = true;
    else if (text == "false" || text == "0" || text == "no" || text == "off") v = false;
  } else if (spec->type == T::integer && !text.empty() &&
             std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; })) {
    try {
      v = std::stoll(std::string(text));
    } catch (const std::exception&) {
    }
  }
  if (auto p = check_value(std::string(key), *spec, v); !p.empty()) return fail(ErrorKind::config, p);
  return v;
}

std::vector<std::string> merge_into(nlohmann::json& base, const nlohmann::json& patch) {
  std::vector<std::string> changed;
  collect_changes(base, patch, "", changed);
  deep_merge(base, patch);
  return changed;
}

void set_dotted(nlohmann::json& tree, std::string_view key, nlohmann::json value) {
  json* node = &tree;
  while (true) {
    auto dot = key.find('.');
    if (!node->is_object()) *node = json::object();
    if (dot == std::string_view::npos) {
      (*node)[std::string(key)] = std::move(value);
      return;
    }
    node = &(*node)[std::string(key.substr(0, dot))];
    key.remove_prefix(dot + 1);
  }
}

const nlohmann::json* get_dotted(const nlohmann::json& tree, std::string_view key) {
  const json* node = &tree;
  while (true) {
    auto dot = key.find('.');
    if (!node->is_object()) return nullptr;
    auto it = node->find(key.substr(0, dot));  // read on every webhook: no copies of the name
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string_view::npos) return node;
    key.remove_prefix(dot + 1);
  }
}

}  // namespace sms::config
