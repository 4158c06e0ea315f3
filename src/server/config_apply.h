// Putting a changed configuration in force while serve runs: the one path that POST /api/configs
// and SIGHUP share.
#pragma once

#include <string>
#include <vector>

#include "core/config_file.h"
#include "core/result.h"
#include "server/state.h"

namespace sms::server {

struct Applied {
  std::vector<std::string> changed;   // keys whose effective value changed
  std::vector<std::string> warnings;  // changed keys that take effect only at the next start
};

// Combines state.loaded.layers (already updated by the caller, who holds state.config_mutex)
// into the effective configuration and puts it in force. Logs a warning for each changed key
// that needs a restart.
Applied apply_layers(AppState& state);

// SIGHUP: reads the config file and the --env-file again, validates them, and applies them like
// POST /api/configs. An invalid file is refused (the error says why) and the running
// configuration stays.
Result<Applied> reload(AppState& state);

}  // namespace sms::server
