// Putting a changed configuration in force while serve runs (POST /api/configs and SIGHUP).
#include "server/config_apply.h"

#include <spdlog/spdlog.h>

namespace sms::server {

Applied apply_layers(AppState& state) {
  auto effective = config::combine(state.loaded.layers);
  auto before = state.live.get()->tree();
  Applied out;
  out.changed = config::merge_into(before, effective.tree());
  for (const auto& key : out.changed)
    if (config::applies_at_start(key)) {
      out.warnings.push_back(key + " changed: it takes effect when serve restarts");
      spdlog::warn("{}", out.warnings.back());
    }
  state.loaded.effective = effective;
  state.live.replace(std::move(effective));
  return out;
}

Result<Applied> reload(AppState& state) {
  auto file_layer = state.loaded.file.read();
  if (!file_layer) return std::unexpected(file_layer.error());
  auto env_file_layer = nlohmann::json::object();
  if (state.loaded.env_file) {
    auto l = config::read_env_file(*state.loaded.env_file);
    if (!l) return std::unexpected(l.error());
    env_file_layer = std::move(*l);
  }
  std::lock_guard lock(state.config_mutex);
  if (auto whole = config::check_whole(config::combine({*file_layer, env_file_layer, state.loaded.layers.env, state.loaded.layers.flags}));
      !whole)
    return std::unexpected(whole.error());
  state.loaded.layers.file = std::move(*file_layer);
  state.loaded.layers.env_file = std::move(env_file_layer);
  auto applied = apply_layers(state);
  std::string keys;
  for (const auto& key : applied.changed) keys += (keys.empty() ? "" : ", ") + key;
  // Audit: which keys changed, never the values.
  spdlog::info("audit: configuration reloaded from {} (SIGHUP): {}", state.loaded.file.path().string(),
               keys.empty() ? "no change" : keys);
  return applied;
}

}  // namespace sms::server
