// Tenants in the configuration: each one's view (its twilio.* and avaya.* over the shared
// sections), routing by business number and connector id, and the checks a whole configuration
// with tenants must pass.
#include <algorithm>
#include <map>
#include <set>

#include "core/config.h"
#include "core/phone.h"

namespace sms::config {

struct Tenants {
  std::vector<std::string> names;                                // "default" first
  std::map<std::string, Config, std::less<>> views;              // named tenants
  std::map<std::string, std::string, std::less<>> by_number;     // business number → tenant
  std::map<std::string, std::string, std::less<>> by_connector;  // avaya.connectorId → tenant
  bool default_in_use = true;
};

namespace {

using nlohmann::json;

const std::string kDefault(kDefaultTenant);

constexpr std::string_view kRelayPacing = "relay.pacing.";

bool is_section(std::string_view key) { return key.starts_with("twilio.") || key.starts_with("avaya."); }

// A string or boolean of a tree that may lack it (a tenant's view reads its own values).
bool set_in(const json& tree, std::string_view key) {
  const auto* v = get_dotted(tree, key);
  return v && ((v->is_string() && !v->get<std::string>().empty()) || (v->is_boolean() && v->get<bool>()));
}

}  // namespace

const std::vector<KeySpec>& tenant_schema() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> out;
    for (const auto& s : schema())
      if (is_section(s.key)) {
        out.push_back(s);
        out.back().env = "";  // the environment sets the default tenant's keys only
      }
    out.push_back({"numbers", Type::numbers, json::array(), Sensitivity::plain, "",
                   "the tenant's business numbers (E.164): webhooks and replies for them use its accounts"});
    for (const auto& s : schema())
      if (s.key.starts_with(kRelayPacing)) {
        out.push_back(s);
        out.back().key = s.key.substr(std::string_view("relay.").size());  // pacing.*
        out.back().default_value = nullptr;  // not set: the shared relay.pacing.* value
      }
    return out;
  }();
  return keys;
}

bool valid_tenant_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name == kDefaultTenant) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; };
  return std::all_of(name.begin(), name.end(), ok) && name[0] != '-' && name[0] != '_';
}

void Config::index_tenants() {
  auto t = std::make_shared<Tenants>();
  const auto* named = get_dotted(tree_, "tenants");
  if (named && named->is_object() && !named->empty()) {
    const auto defaults = Config().tree();
    for (const auto& [name, section] : named->items()) {
      if (!section.is_object()) continue;
      auto view_tree = tree_;
      view_tree.erase("tenants");
      for (const char* side : {"twilio", "avaya"}) {
        view_tree[side] = defaults.at(side);
        if (section.contains(side) && section[side].is_object()) merge_into(view_tree[side], section[side]);
      }
      if (section.contains("pacing") && section["pacing"].is_object()) merge_into(view_tree["relay"]["pacing"], section["pacing"]);
      Config view;
      view.tree_ = std::move(view_tree);
      view.name_ = name;
      view.prefix_ = "tenants." + name + ".";
      if (auto id = view.str("avaya.connectorId"); !id.empty()) t->by_connector.emplace(id, name);
      t->views.emplace(name, std::move(view));
      t->names.push_back(name);
      if (section.contains("numbers") && section["numbers"].is_array())
        for (const auto& n : section["numbers"])
          if (n.is_string()) t->by_number.emplace(n.get<std::string>(), name);
    }
    t->default_in_use = false;
    for (const char* key : {"twilio.account.sid", "twilio.isMockMode", "avaya.host", "avaya.isMockMode"})
      t->default_in_use = t->default_in_use || set_in(tree_, key);
  }
  if (t->default_in_use) {
    t->names.insert(t->names.begin(), kDefault);
    if (const auto* id = get_dotted(tree_, "avaya.connectorId"); id && id->is_string() && !id->get<std::string>().empty())
      t->by_connector.emplace(id->get<std::string>(), kDefault);  // a named tenant sharing it is refused by check_tenants
  }
  tenants_ = std::move(t);
}

const std::vector<std::string>& Config::tenant_names() const { return tenants_->names; }

bool Config::has_named_tenants() const { return !tenants_->views.empty(); }

const Config* Config::tenant(std::string_view name) const {
  if (name == kDefaultTenant) return this;
  auto it = tenants_->views.find(name);
  return it == tenants_->views.end() ? nullptr : &it->second;
}

const Config* Config::serving(std::string_view business_number) const {
  if (auto it = tenants_->by_number.find(business_number); it != tenants_->by_number.end()) return tenant(it->second);
  return tenants_->default_in_use ? this : nullptr;
}

const Config* Config::tenant_of_connector(std::string_view connector_id) const {
  auto it = tenants_->by_connector.find(connector_id);
  return it == tenants_->by_connector.end() ? nullptr : tenant(it->second);
}

std::vector<std::string> Config::numbers(std::string_view tenant) const {
  std::vector<std::string> out;
  for (const auto& [number, owner] : tenants_->by_number)
    if (owner == tenant) out.push_back(number);
  return out;
}

json Config::revealed() const {
  auto out = tree_;
  if (tenants_->views.empty()) return out;
  for (const auto& [name, view] : tenants_->views) {
    auto& t = out["tenants"][name];
    for (const char* side : {"twilio", "avaya"}) t[side] = view.tree_.at(side);
    t["numbers"] = numbers(name);
    t["pacing"] = view.tree_.at("relay").at("pacing");
  }
  return out;
}

json Config::masked() const {
  auto out = revealed();
  auto mask_in = [](json& tree, const std::string& prefix, const Config& c, const std::vector<KeySpec>& specs) {
    for (const auto& s : specs)
      if (s.sensitivity != Sensitivity::plain) set_dotted(tree, prefix + std::string(s.key), mask(c.str(s.key)));
  };
  mask_in(out, "", *this, schema());
  for (const auto& [name, view] : tenants_->views) {
    mask_in(out, "tenants." + name + ".", view, tenant_schema());
  }
  return out;
}

std::string missing_infinity_settings(const Config& c) {
  if (c.avaya_mock()) return "";
  for (auto [key, example] : {std::pair{"avaya.host", "https://core.<tenant>.ec.avayacloud.com"}, {"avaya.clientId", "ID"},
                              {"avaya.clientSecret", "SECRET"}, {"avaya.connectorId", "ID"}})
    if (c.str(key).empty())
      return c.key_name(key) + " is not set (set it with 'infinity-sms config set " + c.key_name(key) + " " + example + "')";
  return "";
}

std::string missing_twilio_settings(const Config& c) {
  if (c.twilio_mock()) return "";
  if (c.str("twilio.account.sid").empty())
    return c.key_name("twilio.account.sid") + " is not set (set it with 'infinity-sms config set " +
           c.key_name("twilio.account.sid") + " AC...')";
  bool key = !c.str("twilio.apiKey.sid").empty() && !c.str("twilio.apiKey.secret").empty();
  if (!key && c.str("twilio.account.authToken").empty())
    return c.key_name("twilio.account.authToken") + " is not set (set it, or " + c.key_name("twilio.apiKey.sid") + " and " +
           c.key_name("twilio.apiKey.secret") + ")";
  return "";
}

std::vector<std::string> check_tenants(const Config& c) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> owner;  // number → first tenant claiming it
  std::map<std::string, std::string> connector{{c.str("avaya.connectorId"), kDefault}};
  const auto* named = get_dotted(c.tree(), "tenants");
  for (const auto& name : c.tenant_names()) {
    if (name == kDefaultTenant) continue;
    const auto& view = *c.tenant(name);
    const auto* listed = get_dotted(*named, name + ".numbers");
    if (!listed || !listed->is_array() || listed->empty())
      problems.push_back(view.key_name("numbers") + ": a tenant needs its business numbers (E.164), e.g. [\"+15550100\"]");
    else
      for (const auto& n : *listed) {
        auto number = n.get<std::string>();
        auto [it, fresh] = owner.emplace(number, name);
        if (!fresh)
          problems.push_back(view.key_name("numbers") + ": " + number + " is already a number of tenants." + it->second +
                             " (a number belongs to one tenant)");
      }
    for (const auto& missing : {missing_twilio_settings(view), missing_infinity_settings(view)})
      if (!missing.empty()) problems.push_back("tenant " + name + ": " + missing);
    if (auto id = view.str("avaya.connectorId"); !id.empty()) {
      auto [it, fresh] = connector.emplace(id, name);
      if (!fresh)
        problems.push_back(view.key_name("avaya.connectorId") + ": " + id + " is already the connector of " +
                           (it->second == kDefaultTenant ? std::string("avaya.connectorId (tenant default)") : "tenants." + it->second));
    }
  }
  return problems;
}

}  // namespace sms::config
