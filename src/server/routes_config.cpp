// The sample's configuration API, behind the admin token: GET shows the masked configuration,
// POST applies a partial update, persists it to the config file and applies it live.
#include <spdlog/spdlog.h>

#include "core/json_input.h"
#include "server/config_apply.h"
#include "server/routes.h"
#include "server/webhook_auth.h"

namespace sms::server {
namespace {

// The masked configuration and where each value comes from (config show's "# origin").
Response show(const config::Loaded& loaded, const std::vector<std::string>& warnings = {}) {
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& key : config::all_keys(loaded.effective)) sources[key] = config::origin_of(loaded.layers, key);
  nlohmann::json body = {{"success", true}, {"config", loaded.effective.masked()}, {"sources", sources}};
  if (!warnings.empty()) body["warnings"] = warnings;
  return json_response(200, body);
}

nlohmann::json::json_pointer pointer(std::string_view dotted) {
  std::string p = "/" + std::string(dotted);
  for (auto& c : p) c = c == '.' ? '/' : c;
  return nlohmann::json::json_pointer(p);
}

// A client that GETs the masked configuration and POSTs it back must not store the masks as
// values: a masked value equal to the mask of the current one means "unchanged". Each tenant's
// secrets are compared with that tenant's.
void drop_masked_echoes(nlohmann::json& patch, const config::Config& current) {
  auto drop = [&](const std::string& prefix, const config::Config& view, const std::vector<config::KeySpec>& specs) {
    for (const auto& spec : specs) {
      if (spec.sensitivity == config::Sensitivity::plain) continue;
      auto at = pointer(prefix + std::string(spec.key));
      if (!patch.contains(at) || !patch[at].is_string()) continue;
      auto now = view.str(spec.key);
      if (!now.empty() && patch[at].get<std::string>() == config::mask(now)) patch[at.parent_pointer()].erase(at.back());
    }
  };
  drop("", current, config::schema());
  if (!patch.contains("tenants") || !patch["tenants"].is_object()) return;
  for (const auto& [name, section] : patch["tenants"].items())
    if (const auto* view = current.tenant(name); view && name != config::kDefaultTenant)
      drop("tenants." + name + ".", *view, config::tenant_schema());
}

Response update(AppState& state, const Request& request) {
  auto parsed = parse_untrusted_json(request.body);
  if (!parsed) return error_response(400, "invalid_json", parsed.error().message);
  auto patch = std::move(*parsed);
  if (!patch.is_object())
    return error_response(400, "invalid_json", "the body must be a JSON object like GET /api/configs' \"config\"");
  std::lock_guard lock(state.config_mutex);
  drop_masked_echoes(patch, *state.live.get());
  if (auto problems = config::check_patch(patch); !problems.empty())
    return error_response(400, "invalid_config", problems.front(), problems);

  std::vector<std::string> changed;
  auto written = state.loaded.file.update([&](nlohmann::json& file_layer) -> Result<void> {
    changed = config::merge_into(file_layer, patch);
    return {};
  });
  if (!written && written.error().kind == ErrorKind::invalid_input)  // the whole configuration's checks (tenants)
    return error_response(400, "invalid_config", written.error().message);
  if (!written) {
    spdlog::error("config update failed: {}", written.error().message);
    return error_response(500, "config_not_saved", written.error().message);
  }
  state.loaded.layers.file = *written;
  auto warnings = apply_layers(state).warnings;
  std::string keys;
  for (const auto& key : changed) {
    keys += (keys.empty() ? "" : ", ") + key;
    if (auto src = config::source_of(state.loaded.layers, key); src != config::Source::file)
      warnings.push_back(key + " is saved but overridden by " + config::to_string(src));
  }
  // Audit: who changed which keys, never the values.
  spdlog::info("audit: configuration changed from {} (request {}): {}", request.remote_addr,
               request.request_id, keys.empty() ? "no change" : keys);
  return show(state.loaded, warnings);
}

}  // namespace

Handler with_admin_token(AppState& state, Handler handler) {
  return [&state, handler = std::move(handler)](const Request& r) {
    if (auto denied = check_admin_token(r, *state.live.get())) return *denied;
    return handler(r);
  };
}

void add_config_routes(Router& router, AppState& state) {
  router.add("GET", "/api/configs", with_admin_token(state, [&state](const Request&) {
               std::lock_guard lock(state.config_mutex);
               return show(state.loaded);
             }));
  router.add("POST", "/api/configs", with_admin_token(state, [&state](const Request& r) { return update(state, r); }));
}

}  // namespace sms::server
